// RUN: spore-opt %s -verify-each --spore-differentiate | FileCheck %s
// RUN: spore-opt %s -verify-each --spore-differentiate --canonicalize --cse --symbol-dce | FileCheck %s --check-prefix=SIMPLE

// Forward mode: spore.jvp becomes a call of @f.jvp, which computes each
// tangent right after its value. mul is multilinear (t*x + x*t for x*x),
// tanh pointwise (its reverse rule applied to the tangent), sum linear;
// %w is not differentiated, so it gets no tangent code.
// CHECK-LABEL: spore.func private @poly.jvp(%arg0: tensor<3xf32>, %arg1: tensor<3xf32>, %arg2: tensor<3xf32>) -> (tensor<f32>, tensor<f32>)
// CHECK: %[[SQ:.*]] = spore.mul %arg0, %arg0
// CHECK: %[[A:.*]] = spore.mul %arg2, %arg0
// CHECK: %[[B:.*]] = spore.mul %arg0, %arg2
// CHECK: %[[TSQ:.*]] = spore.add %[[A]], %[[B]]
// CHECK: %[[T:.*]] = spore.tanh %[[SQ]]
// CHECK: %[[TT:.*]] = spore.mul %[[TSQ]], %{{.*}}
// CHECK: %[[Y:.*]] = spore.mul %[[T]], %arg1
// CHECK: %[[TY:.*]] = spore.mul %[[TT]], %arg1
// CHECK: %[[S:.*]] = spore.sum %[[Y]]
// CHECK: %[[TS:.*]] = spore.sum %[[TY]]
// CHECK: spore.return %[[S]], %[[TS]]
// CHECK-LABEL: spore.func @fj
// CHECK: spore.call @poly.jvp(%arg0, %arg1, %arg2)
spore.func private @poly(%x: tensor<3xf32>, %w: tensor<3xf32>) -> tensor<f32> {
  %0 = spore.mul %x, %x : tensor<3xf32>
  %1 = spore.tanh %0 : tensor<3xf32>
  %2 = spore.mul %1, %w : tensor<3xf32>
  %3 = spore.sum %2 axes = [0] : tensor<3xf32> -> tensor<f32>
  spore.return %3 : tensor<f32>
}
spore.func @fj(%x: tensor<3xf32>, %w: tensor<3xf32>, %t: tensor<3xf32>) -> (tensor<f32>, tensor<f32>) {
  %0:2 = spore.jvp @poly(%x, %w) tangents(%t) wrt = [0] : (tensor<3xf32>, tensor<3xf32>), (tensor<3xf32>) -> (tensor<f32>, tensor<f32>)
  spore.return %0#0, %0#1 : tensor<f32>, tensor<f32>
}

// A loop carries the tangent of its state beside it: no value stack.
// CHECK-LABEL: spore.func private @loopf.jvp
// CHECK-NOT: alloc_tensor
// CHECK: %[[R:.*]]:2 = scf.for %{{.*}} = %{{.*}} to %arg1 step %{{.*}} iter_args(%[[H:.*]] = %arg0, %[[TH:.*]] = %arg2)
// CHECK: %[[S:.*]] = spore.sin %[[H]]
// CHECK: %[[C:.*]] = spore.cos %[[H]]
// CHECK: %[[TS:.*]] = spore.mul %[[TH]], %[[C]]
// CHECK: scf.yield %[[S]], %[[TS]]
// CHECK: spore.return %[[R]]#0, %[[R]]#1
// SIMPLE-LABEL: spore.func private @loopf.jvp
// SIMPLE-NOT: alloc_tensor
// SIMPLE: spore.return
spore.func private @loopf(%x: tensor<3xf32>, %n: index) -> tensor<3xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %0 = scf.for %i = %c0 to %n step %c1 iter_args(%h = %x) -> (tensor<3xf32>) {
    %1 = spore.sin %h : tensor<3xf32>
    scf.yield %1 : tensor<3xf32>
  }
  spore.return %0 : tensor<3xf32>
}
spore.func @lj(%x: tensor<3xf32>, %n: index, %t: tensor<3xf32>) -> tensor<3xf32> {
  %0:2 = spore.jvp @loopf(%x, %n) tangents(%t) wrt = [0] : (tensor<3xf32>, index), (tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
  spore.return %0#1 : tensor<3xf32>
}

// A branch yields the tangents of its float results after its values.
// CHECK-LABEL: spore.func private @branchf.jvp
// CHECK: %[[IF:.*]]:2 = scf.if %{{.*}} -> (tensor<3xf32>, tensor<3xf32>)
// CHECK: %[[E:.*]] = spore.exp %arg0
// CHECK: %[[TE:.*]] = spore.mul %arg2, %[[E]]
// CHECK: scf.yield %[[E]], %[[TE]]
// CHECK: } else {
// CHECK: scf.yield %arg0, %arg2
// CHECK: spore.return %[[IF]]#0, %[[IF]]#1
spore.func private @branchf(%x: tensor<3xf32>, %c: i1) -> tensor<3xf32> {
  %0 = scf.if %c -> (tensor<3xf32>) {
    %1 = spore.exp %x : tensor<3xf32>
    scf.yield %1 : tensor<3xf32>
  } else {
    scf.yield %x : tensor<3xf32>
  }
  spore.return %0 : tensor<3xf32>
}
spore.func @bj(%x: tensor<3xf32>, %c: i1, %t: tensor<3xf32>) -> tensor<3xf32> {
  %0:2 = spore.jvp @branchf(%x, %c) tangents(%t) wrt = [0] : (tensor<3xf32>, i1), (tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
  spore.return %0#1 : tensor<3xf32>
}

// arith.select carries the tangent of the operand it chooses. A branch
// result whose tangent is zeros on both sides (%k#1, computed from
// constants in each) has no tangent: the product with it has one term,
// not two.
// CHECK-LABEL: spore.func private @pick.jvp
// CHECK: %[[T:.*]] = arith.select %arg1, %arg2, %{{.*}} : tensor<3xf32>
// CHECK: %[[K:.*]]:4 = scf.if %arg1
// CHECK: spore.mul %{{.*}}, %[[K]]#1
// CHECK-NEXT: spore.mul %[[T]], %[[K]]#1
// CHECK-NOT: spore.mul
// CHECK: spore.return
spore.func private @pick(%x: tensor<3xf32>, %c: i1) -> tensor<3xf32> {
  %0 = spore.sin %x : tensor<3xf32>
  %1 = arith.select %c, %x, %0 : tensor<3xf32>
  %k:2 = scf.if %c -> (tensor<3xf32>, tensor<3xf32>) {
    %two = spore.constant dense<2.0> : tensor<3xf32>
    %e = spore.exp %x : tensor<3xf32>
    %e2 = spore.exp %two : tensor<3xf32>
    scf.yield %e, %e2 : tensor<3xf32>, tensor<3xf32>
  } else {
    %three = spore.constant dense<3.0> : tensor<3xf32>
    %l = spore.tanh %x : tensor<3xf32>
    %l3 = spore.tanh %three : tensor<3xf32>
    scf.yield %l, %l3 : tensor<3xf32>, tensor<3xf32>
  }
  %2 = spore.mul %1, %k#1 : tensor<3xf32>
  %3 = spore.add %2, %k#0 : tensor<3xf32>
  spore.return %3 : tensor<3xf32>
}
spore.func @jvp_pick(%x: tensor<3xf32>, %c: i1, %t: tensor<3xf32>) -> tensor<3xf32> {
  %0:2 = spore.jvp @pick(%x, %c) tangents(%t) wrt = [0] : (tensor<3xf32>, i1), (tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
  spore.return %0#1 : tensor<3xf32>
}

// The kind of rule comes from the op's trait: reshape (LinearTangent) is
// applied to the tangent, floor (ZeroTangent) gives none, and matmul
// (MultilinearTangent) gets one term per operand with a tangent.
// CHECK-LABEL: spore.func private @kinds.jvp(%arg0: tensor<2x3xf32>, %arg1: tensor<2x3xf32>)
// CHECK: %[[R:.*]] = spore.reshape %arg0
// CHECK: %[[TR:.*]] = spore.reshape %arg1
// CHECK: %[[F:.*]] = spore.floor %arg0
// CHECK-NOT: spore.floor
// CHECK: %[[M:.*]] = spore.matmul %[[F]], %[[R]]
// CHECK-NEXT: %[[TM:.*]] = spore.matmul %[[F]], %[[TR]]
// CHECK-NEXT: %[[S:.*]] = spore.sum %[[M]]
// CHECK-NEXT: %[[TS:.*]] = spore.sum %[[TM]]
// CHECK-NEXT: spore.return %[[S]], %[[TS]]
spore.func private @kinds(%x: tensor<2x3xf32>) -> tensor<f32> {
  %r = spore.reshape %x : tensor<2x3xf32> -> tensor<3x2xf32>
  %f = spore.floor %x : tensor<2x3xf32>
  %m = spore.matmul %f, %r : tensor<2x3xf32>, tensor<3x2xf32> -> tensor<2x2xf32>
  %s = spore.sum %m axes = [0, 1] : tensor<2x2xf32> -> tensor<f32>
  spore.return %s : tensor<f32>
}
spore.func @kj(%x: tensor<2x3xf32>, %t: tensor<2x3xf32>) -> tensor<f32> {
  %0:2 = spore.jvp @kinds(%x) tangents(%t) wrt = [0] : (tensor<2x3xf32>), (tensor<2x3xf32>) -> (tensor<f32>, tensor<f32>)
  spore.return %0#1 : tensor<f32>
}
