#!/usr/bin/env bash
# Installs what onebit needs to build and test, from Debian and PyPI only, and
# skips whatever is already installed. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  cmake ninja-build ccache g++ python3 python3-venv
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

# The Python packages live in the project's own virtual environment, built
# from python/requirements.txt alone (no system site-packages): whatever a test
# imports and the file does not name fails on every machine, not only on a
# fresh one. It is rebuilt from scratch whenever the file changes, so removing
# a requirement removes the package. ONEBIT_VENV moves it (default .venv).
venv="${ONEBIT_VENV:-$PWD/.venv}"
stamp="$venv/requirements.sha256"
want="$(sha256sum python/requirements.txt | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  echo "[install-deps] $venv: pip install -r python/requirements.txt"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check \
    -r python/requirements.txt
  echo "$want" >"$stamp"
fi
