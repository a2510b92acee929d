#!/usr/bin/env bash
# Builds, here, what bench/cuda/run_cuda_benchmarks.py times on the GPU
# machine: single-layer models compiled with --target=cuda (ternary by
# absmean, sign by svid: both lossless on these weights) and a LLaMA-like
# model (hidden 512, 4 layers, ternary layers). The device tool carries
# at most 64 MiB, so the large shape goes in a folder of its own:
#
#   bench/cuda/prepare.sh build cuda-bench-small "2560x6912,6912x2560,8192x8192"
#   bench/cuda/prepare.sh build cuda-bench-large "28672x8192" --ternary-only
#
# then on the device: python3 bench/cuda/run_cuda_benchmarks.py cuda-bench-small
set -euo pipefail
build=$(realpath "$1"); out=$2; shapes=$3; mode=${4:-}
root=$(cd "$(dirname "$0")/../.." && pwd)
compile="$build/bin/onebit-compile"
mkdir -p "$out"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
python3 "$root/bench/make_layer_models.py" --out "$work" --shapes "$shapes"
for shape in ${shapes//,/ }; do
  echo "compiling $shape" >&2
  "$compile" --target=cuda --quantize=absmean "$work/ternary_$shape.onnx" \
    -o "$out/ternary_$shape.so"
  if [ "$mode" != --ternary-only ]; then
    "$compile" --target=cuda --quantize=svid "$work/sign_$shape.onnx" \
      -o "$out/sign_$shape.so"
  fi
done
if [ "$mode" != --ternary-only ]; then
  python3 - "$compile" "$out" "$work" <<'PY'
import subprocess, sys
sys.path.insert(0, "bench")
import onnx
from llama_model import build_model
compile, out, work = sys.argv[1:]
# A 4096-token vocabulary keeps the float embedding and head small enough
# to carry; the float build (50 MB of layers) does not fit beside the rest.
onnx.save(build_model(4096, 512, 4, 8, 1376, 256, 0), f"{work}/llama_like.onnx")
for quantize in ("absmean",):
    subprocess.run([compile, "--target=cuda", f"--quantize={quantize}",
                    f"{work}/llama_like.onnx", "-o",
                    f"{out}/llama_like_{quantize}.so"], check=True)
PY
fi
ls -la "$out"
