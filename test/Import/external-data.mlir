// Initializers stored outside the model (data_location = EXTERNAL): the
// file is found relative to the model, not the working directory, and the
// offset and length are honoured (the 48 weight bytes sit between 16 bytes
// of junk and a trailing "TAIL"). Made by onnx's TensorProto API; W[in=3,
// out=4] = arange(12) / 4, stored out x in by the importer.
// RUN: mkdir -p %t.dir && cd %t.dir && onebit-translate --import-onnx %S/Inputs/external-data.onnx | FileCheck %s
// RUN: not onebit-translate --import-onnx %S/Inputs/external-missing-file.onnx 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not onebit-translate --import-onnx %S/Inputs/external-out-of-range.onnx 2>&1 | FileCheck %s --check-prefix=RANGE

// CHECK: arith.constant dense<{{\[}}[0.000000e+00, 1.000000e+00, 2.000000e+00], [2.500000e-01, 1.250000e+00, 2.250000e+00], [5.000000e-01, 1.500000e+00, 2.500000e+00], [7.500000e-01, 1.750000e+00, 2.750000e+00]]> : tensor<4x3xf32>
// CHECK: onebit.linear %arg0, %{{.*}} {layer_name = "w"} : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>

// MISSING: error: initializer 'w': cannot read external data '{{.*}}Inputs{{/|\\}}no-such-weights.bin': No such file or directory
// RANGE: error: initializer 'w': external data 'external-weights.bin' (offset 40, length 48, file size 68) does not hold the 48 bytes the tensor needs
