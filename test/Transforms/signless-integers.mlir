// RUN: onebit-opt %s --onebit-signless-integers | FileCheck %s

// Every unsigned type becomes the signless one of its width: arguments,
// results, block arguments, the function type, constants; the importer's
// casts between the two are identities then, and go. (The bits stay: 250
// prints as -6 once signless.)
// CHECK-LABEL: func.func @divide(%{{.*}}: tensor<4xi8>) -> tensor<4xi8>
// CHECK: %[[C:.*]] = arith.constant dense<[1, 2, -6, -1]> : tensor<4xi8>
// CHECK: linalg.generic
// CHECK: ^bb0(%[[A:.*]]: i8, %[[B:.*]]: i8, %{{.*}}: i8):
// CHECK-NEXT: %[[Q:.*]] = arith.divui %[[A]], %[[B]] : i8
// CHECK-NEXT: linalg.yield %[[Q]] : i8
// CHECK-NOT: unrealized_conversion_cast
// CHECK-NOT: ui8
#map = affine_map<(d0) -> (d0)>
func.func @divide(%x: tensor<4xui8>) -> tensor<4xui8> {
  %c = arith.constant dense<[1, 2, 250, 255]> : tensor<4xui8>
  %init = tensor.empty() : tensor<4xui8>
  %r = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel"]}
      ins(%x, %c : tensor<4xui8>, tensor<4xui8>) outs(%init : tensor<4xui8>) {
  ^bb0(%a: ui8, %b: ui8, %out: ui8):
    %sa = builtin.unrealized_conversion_cast %a : ui8 to i8
    %sb = builtin.unrealized_conversion_cast %b : ui8 to i8
    %q = arith.divui %sa, %sb : i8
    %uq = builtin.unrealized_conversion_cast %q : i8 to ui8
    linalg.yield %uq : ui8
  } -> tensor<4xui8>
  return %r : tensor<4xui8>
}

// Resource blobs keep their bytes under the signless type; signless types
// and other casts are left alone.
// CHECK-LABEL: func.func @blob
// CHECK: arith.constant dense_resource<weights> : tensor<2xi16>
// CHECK: builtin.unrealized_conversion_cast %{{.*}} : i32 to f32
func.func @blob(%v: i32) -> (tensor<2xui16>, f32) {
  %w = arith.constant dense_resource<weights> : tensor<2xui16>
  %f = builtin.unrealized_conversion_cast %v : i32 to f32
  return %w, %f : tensor<2xui16>, f32
}

{-#
  dialect_resources: {
    builtin: {
      weights: "0x0200000001000200"
    }
  }
#-}
