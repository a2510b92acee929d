#!/usr/bin/env bash
# The main job: quantize the bundled example MLP with onebit-opt, then compile
# the bundled BitNet decoder export (ONNX) to a self-contained model.so with
# onebit-compile and run it through the Python session, printing its outputs,
# their distance from onnxruntime's and the time per run; then compile a
# LLaMA-like model too large for the cache in float and ternary and print
# what each token costs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh onebit-opt onebit-compile OnebitRuntime

python="${ONEBIT_VENV:-$PWD/.venv}/bin/python"
opt=build/bin/onebit-opt
compile=build/bin/onebit-compile
# Long constants and blobs are elided so the IR stays readable.
show=(--mlir-elide-elementsattrs-if-larger=8 --mlir-elide-resource-strings-if-larger=64)

echo "== 1. BitNet b1.58 absmean: onebit-opt --ternarize examples/mlp.mlir"
$opt --ternarize=summary "${show[@]}" examples/mlp.mlir
echo
echo "== 2. OneBit SVID, value vectors fused: onebit-opt --ternarize=\"method=svid\" --fuse-value-scaling"
$opt --ternarize="method=svid summary" --fuse-value-scaling "${show[@]}" examples/mlp.mlir

model=test/models/bitnet-torchscript/model.onnx
mkdir -p build/example
echo
echo "== 3. onebit-compile $model (ternary weights packed losslessly)"
$compile "$model" --quantize=auto -v -o build/example/bitnet-ternary.so
echo
echo "== 4. the same model kept in float"
$compile "$model" --quantize=none -o build/example/bitnet-float.so
echo
echo "== 5. Both through the Python session (onebit.InferenceSession)"
"$python" examples/run_model.py --io test/models/bitnet-torchscript/io_2x16.npz \
  build/example/bitnet-float.so build/example/bitnet-ternary.so
echo
echo "== 6. A model whose weights stream from memory: float against ternary, one token"
"$python" examples/streaming_model.py --compiler "$compile" --work build/example/streaming
