#!/usr/bin/env bash
# Configures (once) and builds onebit into build/ with Ninja against Debian's
# LLVM/MLIR 22. Arguments name targets to build (default: all). The Python
# tests run on the interpreter of the virtual environment that
# scripts/install-deps.sh builds (ONEBIT_VENV, default .venv).
set -euo pipefail
cd "$(dirname "$0")/.."

python="${ONEBIT_VENV:-$PWD/.venv}/bin/python"
if [[ ! -x "$python" ]]; then
  echo "build.sh: no virtual environment at ${python%/bin/python}; run scripts/install-deps.sh" >&2
  exit 1
fi
if [[ ! -f build/build.ninja ]] ||
    [[ "$(sed -n 's/^Python3_EXECUTABLE:[A-Z]*=//p' build/CMakeCache.txt)" != "$python" ]]; then
  cmake -G Ninja -S . -B build \
    -DCMAKE_BUILD_TYPE=Release \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DPython3_EXECUTABLE="$python"
fi
if (($#)); then
  cmake --build build -j "$(nproc)" --target "$@"
else
  cmake --build build -j "$(nproc)"
fi
