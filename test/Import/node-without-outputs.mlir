// A node without outputs (here a Constant) is an error, not an out-of-range
// read of output 0, also where the ONNX checker is off or skipped (opsets
// newer than libonnx knows). Found by the importer fuzzer
// (fuzz/corpus/regress-node-without-outputs.onnx).
// RUN: not onebit-translate --import-onnx --no-onnx-checker %S/Inputs/node-without-outputs.onnx 2>&1 | FileCheck %s
// CHECK: node-without-outputs.onnx: error: Constant node 'c' (domain 'ai.onnx', opset 17): has no outputs
