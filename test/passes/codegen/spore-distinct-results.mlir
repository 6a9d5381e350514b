// RUN: spore-opt %s -verify-each --pass-pipeline='builtin.module(func.func(spore-distinct-results))' | FileCheck %s

// A tensor returned twice: the repetition returns a copy.
// CHECK-LABEL: func.func @f
// CHECK: %[[B:.*]] = arith.addf
// CHECK: %[[E:.*]] = tensor.empty() : tensor<3xf32>
// CHECK: %[[C:.*]] = linalg.copy ins(%[[B]] : tensor<3xf32>) outs(%[[E]] : tensor<3xf32>)
// CHECK: return %[[B]], %[[C]], %arg1 : tensor<3xf32>, tensor<3xf32>, i32
func.func @f(%a: tensor<3xf32>, %n: i32) -> (tensor<3xf32>, tensor<3xf32>, i32) {
  %b = arith.addf %a, %a : tensor<3xf32>
  return %b, %b, %n : tensor<3xf32>, tensor<3xf32>, i32
}
