// RUN: spore-opt %s -verify-each --spore-differentiate | FileCheck %s
// RUN: spore-opt %s -verify-each --spore-differentiate --canonicalize --cse --symbol-dce | FileCheck %s --check-prefix=SIMPLE

// A grad becomes a call of a generated adjoint: the callee with its calls
// inlined, then the rules in reverse order. Operands that are not
// differentiated get no adjoint code of their own.
// CHECK-LABEL: spore.func private @loss.grad(%arg0: tensor<3xf32>, %arg1: tensor<3xf32>) -> (tensor<f32>, tensor<3xf32>)
// CHECK-NOT: spore.call
// CHECK: %[[M:.*]] = spore.mul %arg0, %arg1
// CHECK: %[[T:.*]] = spore.tanh %[[M]]
// CHECK: %[[S:.*]] = spore.sum %[[T]] axes = [0]
// CHECK: %[[ONE:.*]] = spore.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[R:.*]] = spore.reshape %[[ONE]]
// CHECK: %[[G:.*]] = spore.broadcast_to %[[R]]
// CHECK: spore.mul %[[T]], %[[T]]
// CHECK: %[[DT:.*]] = spore.mul %[[G]], %{{.*}}
// CHECK: %[[DW:.*]] = spore.mul %[[DT]], %arg1
// CHECK: spore.return %[[S]], %[[DW]] : tensor<f32>, tensor<3xf32>
// CHECK-LABEL: spore.func @value_and_grad
// CHECK: %[[C:.*]]:2 = spore.call @loss.grad(%arg0, %arg1)
// CHECK: spore.return %[[C]]#0, %[[C]]#1
// SIMPLE-LABEL: spore.func @value_and_grad
// SIMPLE-NOT: spore.func private @inner
spore.func private @inner(%a: tensor<3xf32>) -> tensor<3xf32> {
  %0 = spore.tanh %a : tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}
spore.func private @loss(%w: tensor<3xf32>, %x: tensor<3xf32>) -> tensor<f32> {
  %0 = spore.mul %w, %x : tensor<3xf32>
  %1 = spore.call @inner(%0) : (tensor<3xf32>) -> tensor<3xf32>
  %2 = spore.sum %1 axes = [0] : tensor<3xf32> -> tensor<f32>
  spore.return %2 : tensor<f32>
}
spore.func @value_and_grad(%w: tensor<3xf32>, %x: tensor<3xf32>) -> (tensor<f32>, tensor<3xf32>) attributes {spore.export} {
  %v, %g = spore.grad @loss(%w, %x) wrt = [0] with_value : (tensor<3xf32>, tensor<3xf32>) -> (tensor<f32>, tensor<3xf32>)
  spore.return %v, %g : tensor<f32>, tensor<3xf32>
}

// An argument the value does not depend on gets a zero gradient; one
// adjoint serves every grad of the same callee and operands.
// CHECK-LABEL: spore.func private @unused.grad
// CHECK: %[[Z:.*]] = spore.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK: spore.return %{{.*}}, %{{.*}}, %[[Z]]
// CHECK-LABEL: spore.func @twice
// CHECK-COUNT-2: spore.call @unused.grad
spore.func private @unused(%a: tensor<2xf32>, %b: tensor<2xf32>) -> tensor<f32> {
  %0 = spore.sum %a axes = [0] : tensor<2xf32> -> tensor<f32>
  spore.return %0 : tensor<f32>
}
spore.func @twice(%a: tensor<2xf32>, %b: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) attributes {spore.export} {
  %g:2 = spore.grad @unused(%a, %b) wrt = [0, 1] : (tensor<2xf32>, tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>)
  %h:2 = spore.grad @unused(%b, %a) wrt = [0, 1] : (tensor<2xf32>, tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>)
  spore.return %g#1, %h#0 : tensor<2xf32>, tensor<2xf32>
}

// Nested transforms expand innermost first: the outer grad differentiates
// the adjoint of the inner one.
// CHECK-LABEL: spore.func private @cube.grad
// CHECK-LABEL: spore.func private @dcube.grad
// CHECK-NOT: spore.grad
// CHECK-LABEL: spore.func @second
// CHECK: spore.call @dcube.grad
spore.func private @cube(%x: tensor<f32>) -> tensor<f32> {
  %0 = spore.mul %x, %x : tensor<f32>
  %1 = spore.mul %0, %x : tensor<f32>
  spore.return %1 : tensor<f32>
}
spore.func private @dcube(%x: tensor<f32>) -> tensor<f32> {
  %0 = spore.grad @cube(%x) wrt = [0] : (tensor<f32>) -> tensor<f32>
  spore.return %0 : tensor<f32>
}
spore.func @second(%x: tensor<f32>) -> tensor<f32> attributes {spore.export} {
  %0 = spore.grad @dcube(%x) wrt = [0] : (tensor<f32>) -> tensor<f32>
  spore.return %0 : tensor<f32>
}

// A branch: the adjoint is an scf.if on the same condition whose branches
// recompute the forward branch and reverse it, yielding the cotangents of
// the active values they use from outside (here %x).
// CHECK-LABEL: spore.func private @branch.grad
// CHECK: %[[F:.*]] = scf.if %arg1 -> (tensor<f32>) {
// CHECK: } else {
// CHECK: }
// CHECK: %[[B:.*]] = scf.if %arg1 -> (tensor<f32>) {
// CHECK-NEXT: spore.mul %arg0, %arg0
// CHECK: scf.yield %{{.*}} : tensor<f32>
// CHECK-NEXT: } else {
// CHECK-NEXT: spore.sin %arg0
// CHECK: spore.cos %arg0
// CHECK: scf.yield %{{.*}} : tensor<f32>
// CHECK: spore.return %[[F]], %[[B]]
spore.func private @branch(%x: tensor<f32>, %c: i1) -> tensor<f32> {
  %0 = scf.if %c -> tensor<f32> {
    %1 = spore.mul %x, %x : tensor<f32>
    scf.yield %1 : tensor<f32>
  } else {
    %1 = spore.sin %x : tensor<f32>
    scf.yield %1 : tensor<f32>
  }
  spore.return %0 : tensor<f32>
}
spore.func @g(%x: tensor<f32>, %c: i1) -> tensor<f32> {
  %0 = spore.grad @branch(%x, %c) wrt = [0] : (tensor<f32>, i1) -> tensor<f32>
  spore.return %0 : tensor<f32>
}

// A vjp's adjoint takes the cotangents of the results as extra arguments
// and seeds them; a value returned twice sums its two cotangents.
// CHECK-LABEL: spore.func private @pair.vjp(%arg0: tensor<3xf32>, %arg1: tensor<3xf32>, %arg2: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>)
// CHECK: %[[Y:.*]] = spore.sin %arg0
// CHECK: %[[S:.*]] = spore.add %arg1, %arg2
// CHECK: %[[C:.*]] = spore.cos %arg0
// CHECK: %[[G:.*]] = spore.mul %[[S]], %[[C]]
// CHECK: spore.return %[[Y]], %[[Y]], %[[G]]
// CHECK-LABEL: spore.func @pulled
// CHECK: spore.call @pair.vjp(%arg0, %arg1, %arg1)
spore.func private @pair(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %0 = spore.sin %x : tensor<3xf32>
  spore.return %0, %0 : tensor<3xf32>, tensor<3xf32>
}
spore.func @pulled(%x: tensor<3xf32>, %c: tensor<3xf32>) -> tensor<3xf32> {
  %r:3 = spore.vjp @pair(%x) cotangents(%c, %c) wrt = [0] : (tensor<3xf32>), (tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>)
  spore.return %r#2 : tensor<3xf32>
}

// A call of a checkpointed function is not inlined: the backward pass calls
// its vjp (out of line, so that its recomputation stays separate), which
// evaluates it again instead of keeping its intermediate values.
// CHECK-LABEL: spore.func private @ck.vjp
// CHECK-SAME: spore.no_inline
// CHECK-NOT: spore.checkpoint
// CHECK-LABEL: spore.func private @outer.grad
// CHECK: %[[H:.*]] = spore.call @ck(%arg0)
// CHECK: spore.call @ck.vjp(%arg0, %{{.*}}) {spore.no_inline}
spore.func private @ck(%x: tensor<3xf32>) -> tensor<3xf32> attributes {spore.checkpoint} {
  %0 = spore.tanh %x : tensor<3xf32>
  %1 = spore.exp %0 : tensor<3xf32>
  spore.return %1 : tensor<3xf32>
}
spore.func private @outer(%x: tensor<3xf32>) -> tensor<f32> {
  %0 = spore.call @ck(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %1 = spore.sum %0 axes = [0] : tensor<3xf32> -> tensor<f32>
  spore.return %1 : tensor<f32>
}
spore.func @h(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = spore.grad @outer(%x) wrt = [0] : (tensor<3xf32>) -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// A loop with a compile-time trip count is unrolled before it is reversed.
// CHECK-LABEL: spore.func private @loop3.grad
// CHECK-NOT: scf.for
// CHECK-COUNT-3: spore.tanh
// CHECK: spore.return
spore.func private @loop3(%x: tensor<f32>) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %c3 = arith.constant 3 : index
  %c1 = arith.constant 1 : index
  %0 = scf.for %i = %c0 to %c3 step %c1 iter_args(%h = %x) -> (tensor<f32>) {
    %1 = spore.tanh %h : tensor<f32>
    scf.yield %1 : tensor<f32>
  }
  spore.return %0 : tensor<f32>
}
spore.func @k(%x: tensor<f32>) -> tensor<f32> {
  %0 = spore.grad @loop3(%x) wrt = [0] : (tensor<f32>) -> tensor<f32>
  spore.return %0 : tensor<f32>
}
