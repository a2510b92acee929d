#!/usr/bin/env bash
# Installs what onebit needs to build and test, from Debian and PyPI only, and
# skips whatever is already installed. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  cmake ninja-build ccache g++ python3 python3-pip
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools
  libonnx-dev libonnx-testdata libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev
  # The importer fuzzer (fuzz/): clang with libFuzzer and the sanitizers.
  clang-22 libclang-rt-22-dev
)

missing=()
for package in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
      grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]})); then
  echo "[install-deps] apt-get install ${missing[*]}"
  sudo=""
  if [[ "$(id -u)" != 0 ]]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python packages for the tests and the example generator.
if ! python3 - <<'PY' 2>/dev/null
import importlib.util, sys
needed = [line.split("=")[0].split(">")[0].strip()
          for line in open("python/requirements.txt")
          if line.strip() and not line.startswith("#")]
sys.exit(any(importlib.util.find_spec(name) is None for name in needed))
PY
then
  echo "[install-deps] pip install -r python/requirements.txt"
  python3 -m pip install -q -r python/requirements.txt 2>/dev/null ||
    python3 -m pip install -q --break-system-packages -r python/requirements.txt
fi
