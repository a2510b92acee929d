#!/bin/sh
# Runs the importer fuzzer for a bounded time (CI): seeds from fuzz/corpus
# (valid and broken models) plus the lit test inputs, new finds in a scratch
# corpus, crashes written to $ARTIFACTS (default fuzz-artifacts/).
#   fuzz/run-fuzzer.sh [BUILD_DIR] [SECONDS]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build-fuzz}
seconds=${2:-120}
artifacts=${ARTIFACTS:-fuzz-artifacts}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$artifacts"
cp "$here"/corpus/* "$scratch"/ 2>/dev/null || true
for f in "$here"/../test/Import/Inputs/* "$here"/../test/models/*/model.onnx; do
  [ -f "$f" ] && cp "$f" "$scratch/$(echo "$f" | tr / _)"
done
"$build"/bin/onnx-import-fuzzer "$scratch" -max_total_time="$seconds" \
  -max_len=65536 -rss_limit_mb=4096 -timeout=30 \
  -artifact_prefix="$artifacts/"
