//===- ConversionPasses.td - onebit lowerings ---------------*- tablegen -*-===//

#ifndef ONEBIT_CONVERSION_PASSES_TD
#define ONEBIT_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def LowerToLinalg : Pass<"onebit-lower-to-linalg"> {
  let summary = "Reference lowering of onebit ops to linalg on tensors";
  let description = [{
    A plain lowering that states each op's arithmetic in upstream ops: packed
    weights are unpacked in IR (bit tests on the i8 planes) into a float
    matrix, multiplied with `linalg.matmul` (transposed B), and the scales,
    value vectors, bias and activation quantization are `linalg.generic`
    elementwise ops. It is deliberately simple: it is the numeric oracle that
    the fast CPU and GPU lowerings are checked against.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

#endif // ONEBIT_CONVERSION_PASSES_TD
