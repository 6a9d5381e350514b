// RUN: spore-opt %s -verify-each --spore-differentiate --canonicalize --cse --symbol-dce | FileCheck %s

// A separate function (spore-share-functions) stays a call under
// differentiation. Its forward function returns the results, then the
// residuals that its backward function reads; the call becomes a call of
// the forward function and its adjoint a call of the backward one. Each
// set of differentiated operands has its own pair: the first call
// differentiates %w only.

// CHECK-LABEL: spore.func private @loss.grad
// CHECK: %[[F1:.*]]:2 = spore.call @layer.fwd_1(%arg0, %arg1) {spore.no_inline}
// CHECK: %[[F2:.*]]:2 = spore.call @layer.fwd(%[[F1]]#0, %arg1) {spore.no_inline}
// CHECK: %[[B2:.*]]:2 = spore.call @layer.bwd(%[[F1]]#0, %arg1, %[[F2]]#1, %{{.*}}) {spore.no_inline}
// CHECK: %[[B1:.*]] = spore.call @layer.bwd_2(%arg0, %arg1, %[[F1]]#1, %[[B2]]#0) {spore.no_inline}
// CHECK: %[[G:.*]] = spore.add %[[B2]]#1, %[[B1]]
// CHECK: spore.return %{{.*}}, %[[G]]

// The backward function for %w alone returns one gradient, and reads the
// residual tanh(x * w) instead of computing it again.
// CHECK-LABEL: spore.func private @layer.bwd_2(
// CHECK-SAME: %arg0: tensor<3xf32>, %arg1: tensor<3xf32>, %arg2: tensor<3xf32>, %arg3: tensor<3xf32>) -> tensor<3xf32>
// CHECK-NOT: spore.tanh
// CHECK: spore.return

// The forward function keeps tanh(x * w) for the backward one.
// CHECK-LABEL: spore.func private @layer.fwd_1
// CHECK: %[[T:.*]] = spore.tanh
// CHECK: %[[R:.*]] = spore.mul %[[T]], %arg1
// CHECK: spore.return %[[R]], %[[T]]

// CHECK-LABEL: spore.func private @layer.bwd(
// CHECK-SAME: -> (tensor<3xf32>, tensor<3xf32>)
// CHECK-NOT: spore.tanh
// CHECK: spore.return

spore.func @main(%x: tensor<3xf32>, %w: tensor<3xf32>) -> tensor<3xf32> attributes {spore.export} {
  %g = spore.grad @loss(%x, %w) wrt = [1] : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  spore.return %g : tensor<3xf32>
}

spore.func private @loss(%x: tensor<3xf32>, %w: tensor<3xf32>) -> tensor<f32> {
  %h = spore.call @layer(%x, %w) {spore.no_inline} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %y = spore.call @layer(%h, %w) {spore.no_inline} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %s = spore.sum %y axes = [0] : tensor<3xf32> -> tensor<f32>
  spore.return %s : tensor<f32>
}

spore.func private @layer(%x: tensor<3xf32>, %w: tensor<3xf32>) -> tensor<3xf32> attributes {spore.separate} {
  %m = spore.mul %x, %w : tensor<3xf32>
  %t = spore.tanh %m : tensor<3xf32>
  %r = spore.mul %t, %w : tensor<3xf32>
  spore.return %r : tensor<3xf32>
}
