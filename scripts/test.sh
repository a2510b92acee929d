#!/usr/bin/env bash
# From a fresh clone: install what is missing, build, and run every test
# (lit, GoogleTest, generated-docs check) through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)"
