// Bad input and bad flags: a clear message naming the problem, a non-zero
// exit, and no output file left behind.
// RUN: rm -f %t.so
// RUN: not onebit-compile %s -o %t.so 2>&1 | FileCheck %s --check-prefix=NOENTRY
// RUN: test ! -e %t.so
// RUN: not onebit-compile %s --target=cuda --cuda-arch=volta -o %t.so 2>&1 | FileCheck %s --check-prefix=ARCH
// RUN: env CUDA_HOME=%t.no-toolkit not onebit-compile %s --target=cuda -o %t.so 2>&1 | FileCheck %s --check-prefix=TOOLKIT
// RUN: test ! -e %t.so
// RUN: not onebit-compile %s --quantize=int4 -o %t.so 2>&1 | FileCheck %s --check-prefix=QUANT
// RUN: not onebit-compile %s --mcpu=no-such-cpu -o %t.so 2>&1 | FileCheck %s --check-prefix=MCPU
// RUN: not onebit-compile %S/does-not-exist.mlir -o %t.so 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not onebit-compile %s -O7 -o %t.so 2>&1 | FileCheck %s --check-prefix=OPT
// RUN: not onebit-compile %s --skip="(" --emit=onebit -o - 2>&1 | FileCheck %s --check-prefix=REGEX
// RUN: not onebit-compile %s --lookup-tables=neon -o %t.so 2>&1 | FileCheck %s --check-prefix=LOOKUP
// RUN: not onebit-compile %s --mcpu=haswell --lookup-tables=avx512 -o %t.so 2>&1 | FileCheck %s --check-prefix=LOOKUP512
// RUN: test ! -e %t.so

// NOENTRY: error: the model needs one public function (or one named 'main') as its entry point; found 2
// ARCH: onebit-compile: error: --cuda-arch=volta: expected an NVIDIA architecture such as sm_90
// TOOLKIT: onebit-compile: error: $CUDA_HOME is '{{.*}}.no-toolkit', which has no bin/ptxas: point it at a CUDA toolkit
// QUANT: Cannot find option named 'int4'!
// MCPU: onebit-compile: error: --mcpu: unknown CPU 'no-such-cpu'
// MISSING: does-not-exist.mlir': No such file or directory
// OPT: onebit-compile: error: -O7: the level is 0 to 3
// REGEX: error: ternarize: invalid skip regex '(': parentheses not balanced
// LOOKUP: onebit-compile: error: --lookup-tables=neon: expected auto, none, avx2 or avx512
// LOOKUP512: onebit-compile: error: --lookup-tables=avx512: the target CPU 'haswell' has no avx512bw

func.func @first(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

func.func @second(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
