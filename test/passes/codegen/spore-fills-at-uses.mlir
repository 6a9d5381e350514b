// RUN: spore-opt %s -verify-each --pass-pipeline='builtin.module(func.func(spore-fills-at-uses))' | FileCheck %s

// One zero tensor, the init of two products and an input of a third op:
// each product gets its own empty tensor and fill just before it; the
// input keeps the original fill.
// CHECK-LABEL: func.func @shared_zeros
// CHECK: %[[E0:.*]] = tensor.empty() : tensor<64x64xf32>
// CHECK: %[[Z0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E0]] : tensor<64x64xf32>)
// CHECK: %[[E1:.*]] = tensor.empty() : tensor<64x64xf32>
// CHECK-NEXT: %[[Z1:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E1]] : tensor<64x64xf32>)
// CHECK-NEXT: linalg.matmul ins(%arg0, %arg1 : {{.*}}) outs(%[[Z1]] :
// CHECK: %[[E2:.*]] = tensor.empty() : tensor<64x64xf32>
// CHECK-NEXT: %[[Z2:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E2]] : tensor<64x64xf32>)
// CHECK-NEXT: linalg.matmul ins(%arg1, %arg0 : {{.*}}) outs(%[[Z2]] :
// CHECK: linalg.add ins(%{{.*}}, %[[Z0]] : {{.*}}) outs(%{{.*}} :
func.func @shared_zeros(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>)
    -> (tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x64xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  %p = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x64xf32>) outs(%z : tensor<64x64xf32>) -> tensor<64x64xf32>
  %q = linalg.matmul ins(%b, %a : tensor<64x64xf32>, tensor<64x64xf32>) outs(%z : tensor<64x64xf32>) -> tensor<64x64xf32>
  %o = tensor.empty() : tensor<64x64xf32>
  %s = linalg.add ins(%p, %z : tensor<64x64xf32>, tensor<64x64xf32>) outs(%o : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %p, %q, %s : tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>
}
