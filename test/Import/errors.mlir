// Import errors: reported on stderr as "<model>: error: ...", exit code 1, and
// no output file left behind.

// Every unsupported op is listed at once, with its type, domain, opset and
// node.
// RUN: rm -f %t.mlir
// RUN: not onebit-translate --import-onnx %S/Inputs/unsupported.onnxtxt -o %t.mlir 2>&1 | FileCheck %s --check-prefix=UNSUP
// RUN: test ! -e %t.mlir
// UNSUP: unsupported.onnxtxt: error: unsupported op Hardmax (domain 'ai.onnx', opset 17) in node '<output b>'
// UNSUP-NEXT: unsupported.onnxtxt: error: unsupported op FusedGelu (domain 'com.microsoft', opset 1) in node '<output c>'
// UNSUP-NEXT: unsupported.onnxtxt: error: unsupported op NoSuchOp (domain 'ai.onnx', opset 17) in node '<output y>'
// UNSUP-NOT: error

// RUN: not onebit-translate --import-onnx %S/Inputs/malformed.onnxtxt -o %t.mlir 2>&1 | FileCheck %s --check-prefix=MALFORMED-TEXT
// RUN: test ! -e %t.mlir
// MALFORMED-TEXT: malformed.onnxtxt: error: cannot parse ONNX textual syntax: [ParseError at position (line: 1 column: 9)]

// RUN: not onebit-translate --import-onnx %S/Inputs/malformed.onnx -o %t.mlir 2>&1 | FileCheck %s --check-prefix=MALFORMED-BINARY
// RUN: test ! -e %t.mlir
// MALFORMED-BINARY: malformed.onnx: error: malformed ONNX protobuf (not a ModelProto)

// RUN: not onebit-translate --import-onnx %S/Inputs/does-not-exist.onnx -o %t.mlir 2>&1 | FileCheck %s --check-prefix=NO-FILE
// RUN: test ! -e %t.mlir
// NO-FILE: error: cannot read '{{.*}}does-not-exist.onnx'

// An input that is neither a graph input, an initializer nor an earlier
// node's output: the ONNX checker catches it first; without the checker the
// importer names the node.
// RUN: not onebit-translate --import-onnx %S/Inputs/missing-input.onnxtxt -o %t.mlir 2>&1 | FileCheck %s --check-prefix=CHECKER
// RUN: test ! -e %t.mlir
// CHECKER: missing-input.onnxtxt: error: ONNX checker rejected the model: {{.*}}input 'w' of node: name: OpType: Add is not output of any previous nodes.
// RUN: not onebit-translate --import-onnx --no-onnx-checker %S/Inputs/missing-input.onnxtxt -o %t.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: test ! -e %t.mlir
// MISSING: missing-input.onnxtxt: error: Add node '<output y>' (domain 'ai.onnx', opset 17): input 'w' is not a graph input, an initializer or the output of an earlier node

// RUN: not onebit-translate --import-onnx --no-onnx-checker %S/Inputs/missing-output.onnxtxt -o %t.mlir 2>&1 | FileCheck %s --check-prefix=NO-OUTPUT
// RUN: test ! -e %t.mlir
// NO-OUTPUT: error: graph output 'z' is not produced by any node

// RUN: not onebit-translate --import-onnx %S/Inputs/bad-attribute.onnxtxt -o %t.mlir 2>&1 | FileCheck %s --check-prefix=ATTR
// RUN: test ! -e %t.mlir
// ATTR: bad-attribute.onnxtxt: error: Softmax node '<output y>' (domain 'ai.onnx', opset 17): axis 3 is out of range for rank 2

// --input-shape mistakes.
// RUN: not onebit-translate --import-onnx --input-shape x=1x8 %S/Inputs/mlp-2layer.onnxtxt -o %t.mlir 2>&1 | FileCheck %s --check-prefix=SHAPE-DIM
// RUN: test ! -e %t.mlir
// SHAPE-DIM: error: --input-shape for 'x': dim 1 is 8 but the model fixes it to 4
// RUN: not onebit-translate --import-onnx --input-shape z=3x4 %S/Inputs/mlp-2layer.onnxtxt 2>&1 | FileCheck %s --check-prefix=SHAPE-NAME
// SHAPE-NAME: error: --input-shape names 'z', which is not a graph input
// RUN: not onebit-translate --import-onnx --input-shape x=3 %S/Inputs/mlp-2layer.onnxtxt 2>&1 | FileCheck %s --check-prefix=SHAPE-RANK
// SHAPE-RANK: error: --input-shape for 'x' has rank 1 but the model declares rank 2
// RUN: not onebit-translate --import-onnx --input-shape x3 %S/Inputs/mlp-2layer.onnxtxt 2>&1 | FileCheck %s --check-prefix=SHAPE-SYNTAX
// SHAPE-SYNTAX: onebit-translate: --input-shape: expected NAME=D0xD1x..., got 'x3'
