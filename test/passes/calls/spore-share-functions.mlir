// RUN: spore-opt %s -verify-each --spore-share-functions | FileCheck %s

// The frontend specialises a Cell's method per instance and passes every
// Parameter to each: @dense_0 and @dense_1 read their own. Unused
// arguments go, the two become twins and merge, and then so do @block_0
// and @block_1. What is called twice with three ops or more stays a
// function (spore.separate) whose calls are not inlined.

// CHECK-LABEL: spore.func @model
// CHECK: %[[A:.*]] = spore.call @block_0(%arg0, %arg1, %arg4) {spore.no_inline}
// CHECK: spore.call @block_0(%arg2, %arg3, %[[A]]) {spore.no_inline}
spore.func @model(%w0: tensor<4x4xf32>, %b0: tensor<4xf32>,
                  %w1: tensor<4x4xf32>, %b1: tensor<4xf32>,
                  %x: tensor<2x4xf32>) -> tensor<2x4xf32> attributes {spore.export} {
  %h = spore.call @block_0(%w0, %b0, %w1, %b1, %x)
      : (tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = spore.call @block_1(%w0, %b0, %w1, %b1, %h)
      : (tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  spore.return %y : tensor<2x4xf32>
}

// CHECK-LABEL: spore.func private @block_0
// CHECK-SAME: (%arg0: tensor<4x4xf32>, %arg1: tensor<4xf32>, %arg2: tensor<2x4xf32>)
// CHECK-SAME: attributes {spore.separate}
// CHECK: spore.call @dense_0(%arg0, %arg1, %arg2) : (
// CHECK-NOT: spore.no_inline
// CHECK: spore.tanh
// CHECK-NOT: @block_1
// CHECK-NOT: @dense_1
spore.func private @block_0(%w0: tensor<4x4xf32>, %b0: tensor<4xf32>,
                            %w1: tensor<4x4xf32>, %b1: tensor<4xf32>,
                            %x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %d = spore.call @dense_0(%w0, %b0, %w1, %b1, %x)
      : (tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %t = spore.tanh %d : tensor<2x4xf32>
  %r = spore.add %t, %x : tensor<2x4xf32>
  spore.return %r : tensor<2x4xf32>
}

spore.func private @block_1(%w0: tensor<4x4xf32>, %b0: tensor<4xf32>,
                            %w1: tensor<4x4xf32>, %b1: tensor<4xf32>,
                            %x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %d = spore.call @dense_1(%w0, %b0, %w1, %b1, %x)
      : (tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %t = spore.tanh %d : tensor<2x4xf32>
  %r = spore.add %t, %x : tensor<2x4xf32>
  spore.return %r : tensor<2x4xf32>
}

// A single call site: inlined later, so not separate.
// CHECK-LABEL: spore.func private @dense_0
// CHECK-SAME: (%arg0: tensor<4x4xf32>, %arg1: tensor<4xf32>, %arg2: tensor<2x4xf32>) -> tensor<2x4xf32> {
spore.func private @dense_0(%w0: tensor<4x4xf32>, %b0: tensor<4xf32>,
                            %w1: tensor<4x4xf32>, %b1: tensor<4xf32>,
                            %x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %m = spore.matmul %x, %w0 : tensor<2x4xf32>, tensor<4x4xf32> -> tensor<2x4xf32>
  %b = spore.broadcast_to %b0 : tensor<4xf32> -> tensor<2x4xf32>
  %r = spore.add %m, %b : tensor<2x4xf32>
  spore.return %r : tensor<2x4xf32>
}

spore.func private @dense_1(%w0: tensor<4x4xf32>, %b0: tensor<4xf32>,
                            %w1: tensor<4x4xf32>, %b1: tensor<4xf32>,
                            %x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %m = spore.matmul %x, %w1 : tensor<2x4xf32>, tensor<4x4xf32> -> tensor<2x4xf32>
  %b = spore.broadcast_to %b1 : tensor<4xf32> -> tensor<2x4xf32>
  %r = spore.add %m, %b : tensor<2x4xf32>
  spore.return %r : tensor<2x4xf32>
}

// Small functions, elementwise helpers of fewer than 48 ops (inlined: they
// fuse with their callers), functions with effects and functions that a
// transform names stay as they are.
// CHECK-LABEL: spore.func @others
// CHECK: spore.call @small(%arg0) : (
// CHECK: spore.call @small(%arg0) : (
// CHECK: spore.call @prints(%arg0) : (
// CHECK: spore.call @prints(%arg0) : (
// CHECK: spore.call @elementwise(%arg0) : (
// CHECK: spore.call @elementwise(%arg0) : (
// CHECK: spore.grad @named(%arg0, %arg1)
spore.func @others(%x: tensor<4xf32>, %unused: tensor<4xf32>) -> tensor<4xf32> attributes {spore.export} {
  %a = spore.call @small(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %b = spore.call @small(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %c = spore.call @prints(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %d = spore.call @prints(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %e = spore.call @elementwise(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %f = spore.call @elementwise(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %g = spore.grad @named(%x, %unused) wrt = [0] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  spore.return %g : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @small
// CHECK-SAME: -> tensor<4xf32> {
spore.func private @small(%x: tensor<4xf32>) -> tensor<4xf32> {
  %s = spore.sin %x : tensor<4xf32>
  %t = spore.tanh %s : tensor<4xf32>
  spore.return %t : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @elementwise
// CHECK-SAME: -> tensor<4xf32> {
spore.func private @elementwise(%x: tensor<4xf32>) -> tensor<4xf32> {
  %s = spore.sin %x : tensor<4xf32>
  %t = spore.tanh %s : tensor<4xf32>
  %u = spore.cos %t : tensor<4xf32>
  %v = spore.mul %u, %x : tensor<4xf32>
  spore.return %v : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @prints
// CHECK-SAME: -> tensor<4xf32> {
spore.func private @prints(%x: tensor<4xf32>) -> tensor<4xf32> {
  %s = spore.sin %x : tensor<4xf32>
  %t = spore.tanh %s : tensor<4xf32>
  %u = spore.cos %t : tensor<4xf32>
  spore.print ["u = ", "\n"] %u : tensor<4xf32>
  spore.return %u : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @named
// CHECK-SAME: (%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> tensor<f32>
spore.func private @named(%x: tensor<4xf32>, %unused: tensor<4xf32>) -> tensor<f32> {
  %s = spore.sum %x axes = [0] : tensor<4xf32> -> tensor<f32>
  spore.return %s : tensor<f32>
}
