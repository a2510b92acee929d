// The phases of onebit-compile, each stopped early with --emit.
// RUN: onebit-compile %s --quantize=absmean --emit=onebit -o - | FileCheck %s --check-prefix=ONEBIT
// RUN: onebit-compile %s --quantize=absmean --emit=linalg --mcpu=skylake-avx512 --lookup-tables=none -o - | FileCheck %s --check-prefix=LINALG16
// RUN: onebit-compile %s --quantize=absmean --emit=linalg --mcpu=haswell --lookup-tables=none -o - | FileCheck %s --check-prefix=LINALG8
// RUN: onebit-compile %s --quantize=absmean --emit=linalg --mcpu=haswell -o - | FileCheck %s --check-prefix=LOOKUP
// RUN: onebit-compile %s --quantize=absmean --emit=linalg --mcpu=skylake-avx512 -o - | FileCheck %s --check-prefix=LOOKUP512
// RUN: onebit-compile %s --quantize=absmean --emit=llvm --mcpu=skylake-avx512 -o - | FileCheck %s --check-prefix=LLVM512
// RUN: onebit-compile %s --quantize=none --emit=onebit -o - | FileCheck %s --check-prefix=NONE
// RUN: onebit-compile %s --emit=llvm -o - | FileCheck %s --check-prefix=LLVM

// ONEBIT: onebit.ternary_linear %{{.*}} {layer_name = "fc1"
// ONEBIT: onebit.ternary_linear %{{.*}} {layer_name = "fc2"

// The masked-add kernel: 16 lanes where the CPU has AVX-512, 8 otherwise.
// LINALG16: vector.bitcast %{{.*}} : vector<2xi8> to vector<16xi1>
// LINALG8: vector.bitcast %{{.*}} : vector<1xi8> to vector<8xi1>
// By default, a CPU with AVX2 takes the table-lookup kernel.
// LOOKUP: onebit.lane_lookup %{{.*}} : vector<8xf32>, vector<8xi32>
// and a CPU with AVX-512BW the 512-bit one, its 32-entry tables looked up
// by vpermi2ps.
// LOOKUP512: onebit.pair_lane_lookup %{{.*}} : vector<16xf32>, vector<16xi32>
// LLVM512: call <16 x float> @llvm.x86.avx512.vpermi2var.ps.512(

// NONE-COUNT-2: onebit.linear

// The runtime's two symbols: the signature (names from onnx.name, or
// input0/output0) and the fixed-signature entry calling the C interface.
// LLVM: @onebit_model_signature = {{.*}}constant [{{[0-9]+}} x i8] c"in\09tokens\091\09-1,16\0Aout\09output0\091\09-1,4\0A\00"
// LLVM: define void @_mlir_ciface_mlp(ptr
// LLVM: define void @onebit_model_entry(ptr {{.*}}%0, ptr {{.*}}%1)

#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @mlp(%x: tensor<?x16xf32> {onnx.name = "tokens"}) -> tensor<?x4xf32> {
  %w1 = arith.constant dense<[[0.5, -0.5, 0.0, 0.5, 0.5, -0.5, 0.0, 0.5, 0.5, -0.5, 0.0, 0.5, 0.5, -0.5, 0.0, 0.5],
                              [0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0],
                              [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0],
                              [-1.0, 0.0, 1.0, 0.0, -1.0, 0.0, 1.0, 0.0, -1.0, 0.0, 1.0, 0.0, -1.0, 0.0, 1.0, 0.0],
                              [0.5, -0.5, 0.0, 0.5, 0.5, -0.5, 0.0, 0.5, 0.5, -0.5, 0.0, 0.5, 0.5, -0.5, 0.0, 0.5],
                              [0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.5, 0.5, 0.0],
                              [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0],
                              [-1.0, 0.0, 1.0, 0.0, -1.0, 0.0, 1.0, 0.0, -1.0, 0.0, 1.0, 0.0, -1.0, 0.0, 1.0, 0.0]]> : tensor<8x16xf32>
  %h = onebit.linear %x, %w1 {layer_name = "fc1"} : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x16xf32>
  %e = tensor.empty(%n) : tensor<?x8xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h : tensor<?x8xf32>) outs(%e : tensor<?x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %zero : f32
    linalg.yield %m : f32
  } -> tensor<?x8xf32>
  %w2 = arith.constant dense<[[1.0, -1.0, 0.0, 0.0, 1.0, -1.0, 0.0, 0.0],
                              [0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0],
                              [1.0, 1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -1.0],
                              [2.0, 0.0, 0.0, -2.0, 2.0, 0.0, 0.0, -2.0]]> : tensor<4x8xf32>
  %y = onebit.linear %r, %w2 {layer_name = "fc2"} : tensor<?x8xf32>, tensor<4x8xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
