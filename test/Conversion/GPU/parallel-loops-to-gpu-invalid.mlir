// RUN: onebit-opt %s --pass-pipeline="builtin.module(func.func(onebit-parallel-loops-to-gpu{block-size=0}))" -verify-diagnostics
// RUN: not onebit-opt %s --pass-pipeline="builtin.module(func.func(onebit-parallel-loops-to-gpu{block-size=2048}))" 2>&1 | FileCheck %s

// CHECK: block-size must be 1 to 1024, got 2048
// expected-error @below {{block-size must be 1 to 1024, got 0}}
func.func @bad_block_size() {
  return
}
