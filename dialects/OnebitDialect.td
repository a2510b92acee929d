//===- OnebitDialect.td - The onebit dialect ---------------*- tablegen -*-===//
//
// Low-bit linear layers for transformer graphs: a float linear layer as the
// importer produces it, and its ternary (BitNet b1.58) and binary (OneBit)
// forms with packed weights.
//
//===----------------------------------------------------------------------===//

#ifndef ONEBIT_DIALECT_TD
#define ONEBIT_DIALECT_TD

include "mlir/IR/OpBase.td"

def Onebit_Dialect : Dialect {
  let name = "onebit";
  let cppNamespace = "::onebit";
  let summary = "Ternary and binary linear layers with packed weights";
  let description = [{
    The onebit dialect holds the linear layers of a transformer graph, with the
    rest of the graph in upstream dialects on tensors. `onebit.linear` is a
    float layer as imported from ONNX; the `--ternarize` pass rewrites it into
    `onebit.ternary_linear` (weights in {-1, 0, +1}, 2 bits each) or
    `onebit.sign_linear` (OneBit: sign bits and two value vectors, 1 bit per
    weight). Packed weights are elements attributes of `i8`, normally
    `dense_resource` blobs so that big models keep a compact text form.

    In every op, the input has any rank >= 1: the last dimension is the input
    feature dimension K and all leading dimensions are batch dimensions. The
    result has the input's shape with the last dimension replaced by the
    output feature count N. Weights are stored out x in (N x K).
  }];
}

class Onebit_Op<string mnemonic, list<Trait> traits = []>
    : Op<Onebit_Dialect, mnemonic, traits>;

#endif // ONEBIT_DIALECT_TD
