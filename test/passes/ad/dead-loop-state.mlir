// RUN: spore-opt %s -verify-each --spore-dead-loop-state --canonicalize | FileCheck %s

// Loop-carried state that nothing reads (the value stacks a reverse sweep
// never pops, primal state whose result is unused) is removed with the
// code that computes it; state that a used result, the condition or a side
// effect needs stays.

// CHECK-LABEL: spore.func @for_unused_state
// CHECK: scf.for {{.*}} iter_args(%[[S:.*]] = %arg0) -> (tensor<4xf32>)
// CHECK-NEXT: spore.mul %[[S]]
// CHECK-NEXT: scf.yield
// CHECK-NOT: insert_slice
spore.func @for_unused_state(%x: tensor<4xf32>, %y: tensor<4xf32>, %n: index) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %two = spore.constant dense<2.0> : tensor<4xf32>
  %stack = bufferization.alloc_tensor(%n) : tensor<?x4xf32>
  %r:3 = scf.for %i = %c0 to %n step %c1 iter_args(%s = %x, %t = %y, %k = %stack) -> (tensor<4xf32>, tensor<4xf32>, tensor<?x4xf32>) {
    %s2 = spore.mul %s, %two : tensor<4xf32>
    %t2 = spore.add %t, %s2 : tensor<4xf32>
    %k2 = tensor.insert_slice %t into %k[%i, 0] [1, 4] [1, 1] : tensor<4xf32> into tensor<?x4xf32>
    scf.yield %s2, %t2, %k2 : tensor<4xf32>, tensor<4xf32>, tensor<?x4xf32>
  }
  spore.return %r#0 : tensor<4xf32>
}

// A position that feeds a used one through the back edge is live.
// CHECK-LABEL: spore.func @for_state_through_back_edge
// CHECK: scf.for {{.*}} -> (tensor<4xf32>, tensor<4xf32>)
spore.func @for_state_through_back_edge(%x: tensor<4xf32>, %y: tensor<4xf32>, %n: index) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r:2 = scf.for %i = %c0 to %n step %c1 iter_args(%s = %x, %t = %y) -> (tensor<4xf32>, tensor<4xf32>) {
    %s2 = spore.add %s, %t : tensor<4xf32>
    %t2 = spore.mul %t, %t : tensor<4xf32>
    scf.yield %s2, %t2 : tensor<4xf32>, tensor<4xf32>
  }
  spore.return %r#0 : tensor<4xf32>
}

// State that a side effect reads is live, and so is what decides whether
// the effect happens.
// CHECK-LABEL: spore.func @for_state_printed
// CHECK: scf.for {{.*}} -> (tensor<4xf32>, tensor<4xf32>, tensor<i1>)
// CHECK: spore.print
spore.func @for_state_printed(%x: tensor<4xf32>, %y: tensor<4xf32>, %p: tensor<i1>, %n: index) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r:3 = scf.for %i = %c0 to %n step %c1 iter_args(%s = %x, %t = %y, %q = %p) -> (tensor<4xf32>, tensor<4xf32>, tensor<i1>) {
    %s2 = spore.add %s, %s : tensor<4xf32>
    %t2 = spore.mul %t, %t : tensor<4xf32>
    %c = tensor.extract %q[] : tensor<i1>
    scf.if %c {
      spore.print ["t = ", "\n"] %t : tensor<4xf32>
    }
    %q2 = spore.not %q : tensor<i1>
    scf.yield %s2, %t2, %q2 : tensor<4xf32>, tensor<4xf32>, tensor<i1>
  }
  spore.return %r#0 : tensor<4xf32>
}

// scf.while: the state the condition reads and the counter whose result is
// used stay; the growing value stack and the unused primal state go.
// CHECK-LABEL: spore.func @while_unused_state
// CHECK: scf.while ({{.*}}) : (tensor<4xf32>, index) -> (tensor<4xf32>, index)
// CHECK-NOT: alloc_tensor
// CHECK-NOT: insert_slice
// CHECK: spore.return
spore.func @while_unused_state(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %limit = spore.constant dense<100.0> : tensor<f32>
  %two = spore.constant dense<2.0> : tensor<4xf32>
  %stack = bufferization.alloc_tensor(%c8) : tensor<?x4xf32>
  %r:4 = scf.while (%s = %x, %t = %y, %k = %stack, %n = %c0) : (tensor<4xf32>, tensor<4xf32>, tensor<?x4xf32>, index) -> (tensor<4xf32>, tensor<4xf32>, tensor<?x4xf32>, index) {
    %dim = tensor.dim %k, %c0 : tensor<?x4xf32>
    %full = arith.cmpi eq, %n, %dim : index
    %grown = scf.if %full -> (tensor<?x4xf32>) {
      %rows = arith.muli %dim, %c1 : index
      %bigger = bufferization.alloc_tensor(%rows) : tensor<?x4xf32>
      %copied = tensor.insert_slice %k into %bigger[0, 0] [%dim, 4] [1, 1] : tensor<?x4xf32> into tensor<?x4xf32>
      scf.yield %copied : tensor<?x4xf32>
    } else {
      scf.yield %k : tensor<?x4xf32>
    }
    %pushed = tensor.insert_slice %t into %grown[%n, 0] [1, 4] [1, 1] : tensor<4xf32> into tensor<?x4xf32>
    %n2 = arith.addi %n, %c1 : index
    %sum = spore.sum %s axes = [0] : tensor<4xf32> -> tensor<f32>
    %lt = spore.compare lt, %sum, %limit : tensor<f32>
    %cond = tensor.extract %lt[] : tensor<i1>
    scf.condition(%cond) %s, %t, %pushed, %n2 : tensor<4xf32>, tensor<4xf32>, tensor<?x4xf32>, index
  } do {
  ^bb0(%s: tensor<4xf32>, %t: tensor<4xf32>, %k: tensor<?x4xf32>, %n: index):
    %s2 = spore.mul %s, %two : tensor<4xf32>
    %t2 = spore.add %t, %s2 : tensor<4xf32>
    scf.yield %s2, %t2, %k, %n : tensor<4xf32>, tensor<4xf32>, tensor<?x4xf32>, index
  }
  spore.return %r#0, %r#3 : tensor<4xf32>, index
}
