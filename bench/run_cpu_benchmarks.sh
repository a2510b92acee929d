#!/usr/bin/env bash
# Builds and runs every CPU benchmark in one go, then prints the markdown
# report (bench/report.py): layer kernels against onebit's float path and
# OpenBLAS beside the streaming read bandwidth, and the LLaMA-like model
# against onnxruntime, each at 1 thread and at all cores.
#
#   bench/run_cpu_benchmarks.sh [BUILD_DIR]      (default: build)
#
# Environment: THREADS ("1 N" by default, N = nproc), MIN_TIME (seconds per
# Google Benchmark case, default 0.5), REPETITIONS (of each case, run in a
# random interleaved order; the report keeps the best, default 3), RESULTS (where the JSON and report.md
# go, default BUILD_DIR/bench/results). Needs libbenchmark-dev, and for the
# baselines libopenblas-dev (apt) and onnx + onnxruntime (pip): see
# bench/README.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$root/build}")
cores=$(nproc)
threads=${THREADS:-$( [ "$cores" -gt 1 ] && echo "1 $cores" || echo 1 )}
min_time=${MIN_TIME:-0.5}
repetitions=${REPETITIONS:-3}
results=${RESULTS:-$build/bench/results}

for module in numpy onnx onnxruntime; do
  if ! python3 -c "import $module" 2>/dev/null; then
    echo "error: the Python package '$module' is missing (pip install $module)" >&2
    exit 1
  fi
done

export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}
mkdir -p "$build/bench"
cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DONEBIT_BUILD_BENCHMARKS=ON > "$build/bench/configure.log" 2>&1 ||
  { cat "$build/bench/configure.log" >&2; exit 1; }
grep -E '^-- Benchmarks' "$build/bench/configure.log" || true
ninja -C "$build" -j2 onebit-bench onebit-compile

mkdir -p "$results"
rm -f "$results"/kernels_*.json "$results"/llama_*.json
for t in $threads; do
  echo "== layer kernels, $t thread(s)" >&2
  "$build/bin/onebit-bench-cpu-kernels" --models="$build/bench/models" \
    --threads="$t" --benchmark_min_time="$min_time" \
    --benchmark_repetitions="$repetitions" \
    --benchmark_enable_random_interleaving=true --benchmark_min_warmup_time=0.1 \
    --benchmark_out="$results/kernels_$t.json" --benchmark_out_format=json
  echo "== LLaMA-like model, $t thread(s)" >&2
  python3 "$root/bench/llama_model.py" --compiler "$build/bin/onebit-compile" \
    --work "$build/bench/llama" --threads "$t" --json "$results/llama_$t.json"
done

machine=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
python3 "$root/bench/report.py" "$results" \
  --machine "$machine, $cores cores ($(uname -m))" \
  --command "bench/run_cpu_benchmarks.sh ${1:-build}" | tee "$results/report.md"
echo "(written to $results/report.md)" >&2
