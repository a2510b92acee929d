#!/usr/bin/env bash
# The main job at this stage: quantize the bundled example MLP with onebit-opt
# and show the packed IR and the compression each method achieves.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh onebit-opt

opt=build/bin/onebit-opt
# Long constants and blobs are elided so the IR stays readable.
show=(--mlir-elide-elementsattrs-if-larger=8 --mlir-elide-resource-strings-if-larger=64)

echo "== BitNet b1.58 absmean: onebit-opt --ternarize examples/mlp.mlir"
$opt --ternarize=summary "${show[@]}" examples/mlp.mlir
echo
echo "== OneBit SVID, value vectors fused: onebit-opt --ternarize=\"method=svid\" --fuse-value-scaling"
$opt --ternarize="method=svid summary" --fuse-value-scaling "${show[@]}" examples/mlp.mlir
