#!/bin/sh
# Runs the importer fuzzer for a bounded time (ctest's fuzz-onnx-import, CI).
#   fuzz/run-fuzzer.sh FUZZER_BINARY [SECONDS] [EXTRA_LIBFUZZER_FLAGS...]
# Seeds: fuzz/corpus (valid and broken models, and every input that once
# crashed the importer), the importer's lit inputs and the small ONNX node-test
# models of libonnx-testdata. They are copied to a scratch directory, so new
# finds never land in the repository. A crash, sanitizer report, leak, timeout
# or out-of-memory exits non-zero, with the input written to $ARTIFACTS
# (default ./fuzz-artifacts/).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
fuzzer=${1:?usage: run-fuzzer.sh FUZZER_BINARY [SECONDS] [FLAGS...]}
seconds=${2:-60}
[ $# -ge 2 ] && shift 2 || shift $#
artifacts=${ARTIFACTS:-fuzz-artifacts}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$artifacts" "$scratch/corpus"

cp "$here"/corpus/* "$scratch/corpus/"
for f in "$here"/../test/Import/Inputs/*; do
  [ -f "$f" ] && cp "$f" "$scratch/corpus/lit-$(basename "$f")"
done
# The textual models of the importer's lit tests, one per `# -----` split,
# without their RUN/CHECK comment lines (a textual model starts with '<').
for f in "$here"/../test/Import/*.onnxtxt; do
  [ -f "$f" ] || continue
  awk -v out="$scratch/corpus/lit-$(basename "$f" .onnxtxt)" '
    /^# -----/ { n++; next }
    /^#/ || /^[ \t]*$/ { next }
    { print > (out "-" n ".onnxtxt") }' "$f"
done
# One op per model, a few hundred bytes each: the cheapest way to reach every
# op importer. (Whole exported networks are too big to mutate usefully.)
testdata=/usr/share/libonnx-testdata/data/node
if [ -d "$testdata" ]; then
  for f in "$testdata"/*/model.onnx; do
    name=$(basename "$(dirname "$f")")
    cp "$f" "$scratch/corpus/node-$name.onnx"
  done
fi

# -timeout: one input; -rss_limit_mb also caps single allocations, so a model
# that makes the importer allocate gigabytes is a finding too.
status=0
"$fuzzer" "$scratch/corpus" -max_total_time="$seconds" \
  -max_len=16384 -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
  -dict="$here/onnx.dict" \
  -artifact_prefix="$artifacts/" "$@" >"$scratch/log" 2>&1 || status=$?

# The whole log on failure; otherwise the final statistics.
if [ "$status" != 0 ]; then
  cat "$scratch/log"
  echo "[fuzz] FAILED (exit $status); reproduce with: $fuzzer $artifacts/<file>"
  exit "$status"
fi
grep -E '^(Done|stat::)' "$scratch/log" || true
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/log")
corpus=$(ls "$scratch/corpus" | wc -l)
echo "[fuzz] ${runs:-?} executions in ${seconds} s, corpus now $corpus inputs, no crash"
