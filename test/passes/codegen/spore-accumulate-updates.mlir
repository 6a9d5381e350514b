// RUN: spore-opt %s -verify-each -split-input-file --pass-pipeline='builtin.module(func.func(spore-accumulate-updates))' | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#scalar = affine_map<(d0, d1) -> ()>

// An SGD step on a weight gradient x^T @ g: the smaller operand (x, before
// its transpose) is scaled by -lr, and the product accumulates onto w.
// CHECK-LABEL: func.func @sgd_step
// CHECK-SAME: (%[[W:.*]]: tensor<784x1024xf32>, %[[X:.*]]: tensor<16x784xf32>, %[[G:.*]]: tensor<16x1024xf32>, %[[LR:.*]]: tensor<f32>)
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[LR]] : tensor<16x784xf32>, tensor<f32>)
// CHECK:   %[[N:.*]] = arith.negf
// CHECK:   arith.mulf %[[N]]
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[S]] : tensor<16x784xf32>)
// CHECK: %[[R:.*]] = linalg.matmul ins(%[[T]], %[[G]] : tensor<784x16xf32>, tensor<16x1024xf32>) outs(%[[W]] : tensor<784x1024xf32>)
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]
func.func @sgd_step(%w: tensor<784x1024xf32>, %x: tensor<16x784xf32>, %g: tensor<16x1024xf32>, %lr: tensor<f32>) -> tensor<784x1024xf32> {
  %zero = arith.constant 0.0 : f32
  %et = tensor.empty() : tensor<784x16xf32>
  %xt = linalg.transpose ins(%x : tensor<16x784xf32>) outs(%et : tensor<784x16xf32>) permutation = [1, 0]
  %e = tensor.empty() : tensor<784x1024xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<784x1024xf32>) -> tensor<784x1024xf32>
  %dw = linalg.matmul ins(%xt, %g : tensor<784x16xf32>, tensor<16x1024xf32>) outs(%z : tensor<784x1024xf32>) -> tensor<784x1024xf32>
  %o = tensor.empty() : tensor<784x1024xf32>
  %new = linalg.generic {indexing_maps = [#id, #scalar, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%w, %lr, %dw : tensor<784x1024xf32>, tensor<f32>, tensor<784x1024xf32>) outs(%o : tensor<784x1024xf32>) {
  ^bb0(%p: f32, %s: f32, %d: f32, %out: f32):
    %m = arith.mulf %s, %d : f32
    %r = arith.subf %p, %m : f32
    linalg.yield %r : f32
  } -> tensor<784x1024xf32>
  return %new : tensor<784x1024xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#scalar = affine_map<(d0, d1) -> ()>

// The second operand is the smaller: it is scaled, with no transpose.
// CHECK-LABEL: func.func @scale_second
// CHECK-SAME: (%[[W:.*]]: tensor<1024x10xf32>, %[[A:.*]]: tensor<1024x16xf32>, %[[B:.*]]: tensor<16x10xf32>, %[[LR:.*]]: tensor<f32>)
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%[[B]], %[[LR]] : tensor<16x10xf32>, tensor<f32>)
// CHECK: linalg.matmul ins(%[[A]], %[[S]] : tensor<1024x16xf32>, tensor<16x10xf32>) outs(%[[W]] : tensor<1024x10xf32>)
func.func @scale_second(%w: tensor<1024x10xf32>, %a: tensor<1024x16xf32>, %b: tensor<16x10xf32>, %lr: tensor<f32>) -> tensor<1024x10xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1024x10xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1024x10xf32>) -> tensor<1024x10xf32>
  %dw = linalg.matmul ins(%a, %b : tensor<1024x16xf32>, tensor<16x10xf32>) outs(%z : tensor<1024x10xf32>) -> tensor<1024x10xf32>
  %new = linalg.generic {indexing_maps = [#id, #scalar, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%w, %lr, %dw : tensor<1024x10xf32>, tensor<f32>, tensor<1024x10xf32>) outs(%e : tensor<1024x10xf32>) {
  ^bb0(%p: f32, %s: f32, %d: f32, %out: f32):
    %m = arith.mulf %d, %s : f32
    %r = arith.subf %p, %m : f32
    linalg.yield %r : f32
  } -> tensor<1024x10xf32>
  return %new : tensor<1024x10xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#scalar = affine_map<(d0, d1) -> ()>

// The gradient is also returned: it must exist, so nothing changes. Nor
// for a product that starts from something other than zeros, nor for an
// update that adds.
// CHECK-LABEL: func.func @gradient_used
// CHECK-NOT: arith.negf
// CHECK: linalg.matmul ins(%arg1, %arg1 : {{.*}}) outs(%{{.*}} : tensor<64x64xf32>)
// CHECK-NOT: arith.negf
// CHECK: arith.subf
// CHECK-LABEL: func.func @not_from_zeros
// CHECK-NOT: arith.negf
// CHECK: linalg.matmul ins(%arg1, %arg1 : {{.*}}) outs(%arg1 : tensor<64x64xf32>)
// CHECK-NOT: arith.negf
// CHECK: arith.subf
// CHECK-LABEL: func.func @adds
// CHECK-NOT: arith.negf
// CHECK: linalg.matmul ins(%arg1, %arg1 : {{.*}}) outs(%{{.*}} : tensor<64x64xf32>)
// CHECK-NOT: arith.negf
// CHECK:   arith.addf
func.func @gradient_used(%w: tensor<64x64xf32>, %a: tensor<64x64xf32>, %lr: tensor<f32>) -> (tensor<64x64xf32>, tensor<64x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x64xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  %dw = linalg.matmul ins(%a, %a : tensor<64x64xf32>, tensor<64x64xf32>) outs(%z : tensor<64x64xf32>) -> tensor<64x64xf32>
  %new = linalg.generic {indexing_maps = [#id, #scalar, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%w, %lr, %dw : tensor<64x64xf32>, tensor<f32>, tensor<64x64xf32>) outs(%e : tensor<64x64xf32>) {
  ^bb0(%p: f32, %s: f32, %d: f32, %out: f32):
    %m = arith.mulf %s, %d : f32
    %r = arith.subf %p, %m : f32
    linalg.yield %r : f32
  } -> tensor<64x64xf32>
  return %new, %dw : tensor<64x64xf32>, tensor<64x64xf32>
}
func.func @not_from_zeros(%w: tensor<64x64xf32>, %a: tensor<64x64xf32>, %lr: tensor<f32>) -> tensor<64x64xf32> {
  %e = tensor.empty() : tensor<64x64xf32>
  %dw = linalg.matmul ins(%a, %a : tensor<64x64xf32>, tensor<64x64xf32>) outs(%a : tensor<64x64xf32>) -> tensor<64x64xf32>
  %new = linalg.generic {indexing_maps = [#id, #scalar, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%w, %lr, %dw : tensor<64x64xf32>, tensor<f32>, tensor<64x64xf32>) outs(%e : tensor<64x64xf32>) {
  ^bb0(%p: f32, %s: f32, %d: f32, %out: f32):
    %m = arith.mulf %s, %d : f32
    %r = arith.subf %p, %m : f32
    linalg.yield %r : f32
  } -> tensor<64x64xf32>
  return %new : tensor<64x64xf32>
}
func.func @adds(%w: tensor<64x64xf32>, %a: tensor<64x64xf32>, %lr: tensor<f32>) -> tensor<64x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x64xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  %dw = linalg.matmul ins(%a, %a : tensor<64x64xf32>, tensor<64x64xf32>) outs(%z : tensor<64x64xf32>) -> tensor<64x64xf32>
  %new = linalg.generic {indexing_maps = [#id, #scalar, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%w, %lr, %dw : tensor<64x64xf32>, tensor<f32>, tensor<64x64xf32>) outs(%e : tensor<64x64xf32>) {
  ^bb0(%p: f32, %s: f32, %d: f32, %out: f32):
    %m = arith.mulf %s, %d : f32
    %r = arith.addf %p, %m : f32
    linalg.yield %r : f32
  } -> tensor<64x64xf32>
  return %new : tensor<64x64xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#scalar = affine_map<(d0, d1) -> ()>

// Operands of a dynamic shape: which is smaller is not known; unchanged.
// CHECK-LABEL: func.func @dynamic_operand
// CHECK-NOT: arith.negf
// CHECK: linalg.matmul ins(%arg1, %arg2 : tensor<64x?xf32>, tensor<?x64xf32>)
// CHECK: arith.subf
func.func @dynamic_operand(%w: tensor<64x64xf32>, %a: tensor<64x?xf32>, %b: tensor<?x64xf32>, %lr: tensor<f32>) -> tensor<64x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x64xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  %dw = linalg.matmul ins(%a, %b : tensor<64x?xf32>, tensor<?x64xf32>) outs(%z : tensor<64x64xf32>) -> tensor<64x64xf32>
  %new = linalg.generic {indexing_maps = [#id, #scalar, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%w, %lr, %dw : tensor<64x64xf32>, tensor<f32>, tensor<64x64xf32>) outs(%e : tensor<64x64xf32>) {
  ^bb0(%p: f32, %s: f32, %d: f32, %out: f32):
    %m = arith.mulf %s, %d : f32
    %r = arith.subf %p, %m : f32
    linalg.yield %r : f32
  } -> tensor<64x64xf32>
  return %new : tensor<64x64xf32>
}
