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

// A returned tensor.empty that another op also writes into (cumsum and
// softmax of a tensor without elements): the return gets its own empty.
// CHECK-LABEL: func.func @empty
// CHECK: %[[E:.*]] = tensor.empty() : tensor<0xf32>
// CHECK: %[[G:.*]] = linalg.copy ins(%arg0 : tensor<0xf32>) outs(%[[E]] : tensor<0xf32>)
// CHECK: %[[F:.*]] = tensor.empty() : tensor<0xf32>
// CHECK: return %[[G]], %[[F]] : tensor<0xf32>, tensor<0xf32>
func.func @empty(%a: tensor<0xf32>) -> (tensor<0xf32>, tensor<0xf32>) {
  %e = tensor.empty() : tensor<0xf32>
  %g = linalg.copy ins(%a : tensor<0xf32>) outs(%e : tensor<0xf32>) -> tensor<0xf32>
  return %g, %e : tensor<0xf32>, tensor<0xf32>
}

// An empty tensor returned once and used nowhere else stays.
// CHECK-LABEL: func.func @alone
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<0xf32>
// CHECK-NEXT: return %[[E]]
func.func @alone() -> tensor<0xf32> {
  %e = tensor.empty() : tensor<0xf32>
  return %e : tensor<0xf32>
}
