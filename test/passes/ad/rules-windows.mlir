// RUN: spore-opt %s -verify-each --spore-differentiate | FileCheck %s
// RUN: spore-opt %s -verify-each --spore-differentiate --canonicalize --cse --symbol-dce | FileCheck %s --check-prefix=SIMPLE

// The rules of prod, conv2d and pool2d, written in ops that have rules
// themselves (so they differentiate again).

// conv2d: the input's cotangent is one matmul with the filter (every tap
// at once), added back tap by tap with strided updates; the filter's is
// the im2col matrix of the input (one strided slab per tap) against the
// cotangent.
// CHECK-LABEL: spore.func private @conv.grad
// CHECK: %[[G:.*]] = spore.reshape %{{.*}} : tensor<1x2x2x3xf32> -> tensor<4x3xf32>
// CHECK: %[[WF:.*]] = spore.reshape %arg1 : tensor<2x2x2x3xf32> -> tensor<8x3xf32>
// CHECK: %[[WT:.*]] = spore.transpose %[[WF]] permutation = [1, 0] : tensor<8x3xf32> -> tensor<3x8xf32>
// CHECK: %[[P:.*]] = spore.matmul %[[G]], %[[WT]] : tensor<4x3xf32>, tensor<3x8xf32> -> tensor<4x8xf32>
// CHECK: spore.update_slice %{{.*}} starts = [0, 0, 0, 0] steps = [1, 2, 2, 1]
// CHECK: spore.slice %arg0 starts = [0, 0, 0, 0] steps = [1, 2, 2, 1] : tensor<1x4x4x2xf32> -> tensor<1x2x2x2xf32>
// CHECK: spore.update_slice %{{.*}} starts = [0, 0, 1, 0] steps = [1, 2, 2, 1]
// CHECK: spore.update_slice %{{.*}} starts = [0, 1, 0, 0] steps = [1, 2, 2, 1]
// CHECK: %[[DX:.*]] = spore.update_slice %{{.*}} starts = [0, 1, 1, 0] steps = [1, 2, 2, 1]
// CHECK: %[[COLS:.*]] = spore.concatenate {{.*}} axis = 3 : {{.*}} -> tensor<1x2x2x8xf32>
// CHECK: %[[COLS2:.*]] = spore.reshape %[[COLS]] : tensor<1x2x2x8xf32> -> tensor<4x8xf32>
// CHECK: %[[COLST:.*]] = spore.transpose %[[COLS2]] permutation = [1, 0]
// CHECK: %[[DW:.*]] = spore.matmul %[[COLST]], %[[G]] : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
// CHECK: %[[DW4:.*]] = spore.reshape %[[DW]] : tensor<8x3xf32> -> tensor<2x2x2x3xf32>
// CHECK: spore.return %{{.*}}, %[[DX]], %[[DW4]]
// SIMPLE-LABEL: spore.func private @conv.grad
// SIMPLE-COUNT-2: spore.matmul
// SIMPLE-NOT: spore.matmul
// SIMPLE: spore.return
spore.func private @conv(%x: tensor<1x4x4x2xf32>, %w: tensor<2x2x2x3xf32>) -> tensor<f32> {
  %0 = spore.conv2d %x, %w strides = [2, 2] dilations = [1, 1] padding = [0, 0, 0, 0] groups = 1 : tensor<1x4x4x2xf32>, tensor<2x2x2x3xf32> -> tensor<1x2x2x3xf32>
  %1 = spore.sum %0 axes = [0, 1, 2, 3] : tensor<1x2x2x3xf32> -> tensor<f32>
  spore.return %1 : tensor<f32>
}
spore.func @dconv(%x: tensor<1x4x4x2xf32>, %w: tensor<2x2x2x3xf32>) -> (tensor<1x4x4x2xf32>, tensor<2x2x2x3xf32>) {
  %0:2 = spore.grad @conv(%x, %w) wrt = [0, 1] : (tensor<1x4x4x2xf32>, tensor<2x2x2x3xf32>) -> (tensor<1x4x4x2xf32>, tensor<2x2x2x3xf32>)
  spore.return %0#0, %0#1 : tensor<1x4x4x2xf32>, tensor<2x2x2x3xf32>
}

// Max pooling: the input is padded with -inf (padding never wins); each
// tap compares its slab with the result, and the cotangent is shared
// among the taps that hit; the padding is cropped off at the end.
// CHECK-LABEL: spore.func private @maxpool.grad
// CHECK: %[[NEGINF:.*]] = spore.constant dense<0xFF800000> : tensor<1x5x5x1xf32>
// CHECK: %[[XP:.*]] = spore.update_slice %arg0 into %[[NEGINF]] starts = [0, 1, 1, 0]
// CHECK: %[[S0:.*]] = spore.slice %[[XP]] starts = [0, 0, 0, 0] steps = [1, 2, 2, 1]
// CHECK: spore.compare eq, %[[S0]], %[[Y:.*]] :
// CHECK-COUNT-3: spore.compare eq
// CHECK: %[[SHARE:.*]] = spore.div
// CHECK-COUNT-4: spore.update_slice
// CHECK: %[[DX:.*]] = spore.slice %{{.*}} starts = [0, 1, 1, 0] steps = [1, 1, 1, 1] : tensor<1x5x5x1xf32> -> tensor<1x4x4x1xf32>
// CHECK: spore.return %{{.*}}, %[[DX]]
spore.func private @maxpool(%x: tensor<1x4x4x1xf32>) -> tensor<f32> {
  %0 = spore.pool2d max %x window = [2, 2] strides = [2, 2] padding = [1, 0, 1, 0] : tensor<1x4x4x1xf32> -> tensor<1x2x2x1xf32>
  %1 = spore.sum %0 axes = [0, 1, 2, 3] : tensor<1x2x2x1xf32> -> tensor<f32>
  spore.return %1 : tensor<f32>
}
spore.func @dmax(%x: tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32> {
  %0 = spore.grad @maxpool(%x) wrt = [0] : (tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32>
  spore.return %0 : tensor<1x4x4x1xf32>
}

// Average pooling: every tap gets g / (KH * KW), padding included.
// CHECK-LABEL: spore.func private @avgpool.grad
// CHECK: %[[Q:.*]] = spore.constant dense<2.500000e-01> : tensor<1x2x2x1xf32>
// CHECK: %[[SHARE:.*]] = spore.mul %{{.*}}, %[[Q]]
// CHECK-COUNT-4: spore.add %{{.*}}, %[[SHARE]]
// CHECK-NOT: spore.compare
// CHECK: spore.return
spore.func private @avgpool(%x: tensor<1x4x4x1xf32>) -> tensor<f32> {
  %0 = spore.pool2d avg %x window = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] : tensor<1x4x4x1xf32> -> tensor<1x2x2x1xf32>
  %1 = spore.sum %0 axes = [0, 1, 2, 3] : tensor<1x2x2x1xf32> -> tensor<f32>
  spore.return %1 : tensor<f32>
}
spore.func @davg(%x: tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32> {
  %0 = spore.grad @avgpool(%x) wrt = [0] : (tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32>
  spore.return %0 : tensor<1x4x4x1xf32>
}

// prod: the product of the other elements of a group, as the products
// before each element (a scan of shifted products, log2(4) = 2 steps, then
// one shift) times those after it (the same on the flipped group): no
// division, so exact at zeros.
// CHECK-LABEL: spore.func private @product.grad
// CHECK-NOT: spore.div
// CHECK: %[[ONE:.*]] = spore.constant dense<1.000000e+00> : tensor<2x1xf32>
// CHECK: %[[HEAD:.*]] = spore.slice %arg0 starts = [0, 0] steps = [1, 1] : tensor<2x4xf32> -> tensor<2x3xf32>
// CHECK: %[[SH:.*]] = spore.concatenate %[[ONE]], %[[HEAD]] axis = 1
// CHECK: %[[P1:.*]] = spore.mul %arg0, %[[SH]]
// CHECK: spore.concatenate {{.*}} : tensor<2x2xf32>, tensor<2x2xf32> -> tensor<2x4xf32>
// CHECK: %[[FLIP:.*]] = spore.slice %arg0 starts = [0, 3] steps = [1, -1]
// CHECK: %[[AFTER:.*]] = spore.slice %{{.*}} starts = [0, 3] steps = [1, -1]
// CHECK: %[[OTHERS:.*]] = spore.mul %[[BEFORE:.*]], %[[AFTER]]
// CHECK: spore.mul %{{.*}}, %[[OTHERS]]
// CHECK-NOT: spore.div
// CHECK: spore.return
spore.func private @product(%x: tensor<2x4xf32>) -> tensor<f32> {
  %0 = spore.prod %x axes = [1] : tensor<2x4xf32> -> tensor<2xf32>
  %1 = spore.sum %0 axes = [0] : tensor<2xf32> -> tensor<f32>
  spore.return %1 : tensor<f32>
}
spore.func @dprod(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %0 = spore.grad @product(%x) wrt = [0] : (tensor<2x4xf32>) -> tensor<2x4xf32>
  spore.return %0 : tensor<2x4xf32>
}
