// The bundled example that the README's main command quantizes: it must keep
// working, with the mid layer (already ternary) packed without loss.
// RUN: onebit-opt --ternarize=summary %S/../../examples/mlp.mlir -o /dev/null 2>&1 | FileCheck %s --check-prefix=ABSMEAN
// RUN: onebit-opt --ternarize="method=svid" --fuse-value-scaling %S/../../examples/mlp.mlir | FileCheck %s --check-prefix=SVID

// ABSMEAN: up.weight                        ternary        128x64        2.004
// ABSMEAN: mid.weight                       ternary       128x128        2.002   lossless
// ABSMEAN: down.weight                      ternary        32x128        2.008
// ABSMEAN: 3 layers: 114688 bytes of f32 weights -> 7180 bytes packed

// up's g went into the norm weight and the output scaling into down's h.
// SVID: onebit.sign_linear {{.*}} {h = {{.*}}, layer_name = "up.weight"
// SVID: onebit.ternary_linear {{.*}}layer_name = "mid.weight"
// SVID: %[[DOWN:.*]] = onebit.sign_linear {{.*}} {g = {{.*}}, h = {{.*}}, layer_name = "down.weight"
// SVID-NEXT: return %[[DOWN]]
