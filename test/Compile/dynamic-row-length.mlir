// A low-bit layer whose input has its row length only in a cast: the row
// length (K = 64) is dynamic in the buffer the kernel reads, as after the
// generic Reshape before the TorchScript GPT-2 export's c_proj. The float
// table-lookup kernel reads the last, partial group of 3 inputs with a
// masked transfer, whose bound is then a memref.dim: vector transfers are
// lowered before memrefs so that it is lowered too (it once reached the
// LLVM translation as an unrealized cast and failed).
// RUN: onebit-compile %s --quantize=absmean --mcpu=haswell --lookup-tables=avx2 --emit=llvm -o - | FileCheck %s --check-prefixes=CHECK,LOOKUP
// RUN: onebit-compile %s --quantize=absmean --mcpu=haswell --lookup-tables=none --emit=llvm -o - | FileCheck %s

// The group of 3 inputs, read under a mask of the inputs left in the row.
// LOOKUP: call <4 x float> @llvm.masked.load.v4f32.p0(ptr {{.*}}, <4 x i1> %{{[0-9]+}},
// CHECK: define void @onebit_model_entry(

func.func @layer(%x: tensor<?x?xf32>) -> tensor<?x4xf32> {
  %rows = tensor.cast %x : tensor<?x?xf32> to tensor<?x64xf32>
  %w = arith.constant dense<0.5> : tensor<4x64xf32>
  %y = onebit.linear %rows, %w {layer_name = "proj.weight"}
      : tensor<?x64xf32>, tensor<4x64xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
