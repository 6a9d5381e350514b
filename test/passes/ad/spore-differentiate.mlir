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

// A value that the branches use and a later op uses too: the branches
// start from the later use's cotangent, so the branch that does not use it
// passes that on instead of yielding zeros to be added outside.
// SIMPLE-LABEL: spore.func private @branch_then_use.grad
// SIMPLE: %[[LATER:.*]] = spore.cos %arg0
// SIMPLE: %[[B:.*]] = scf.if %arg1 -> (tensor<f32>) {
// SIMPLE: %[[SUM:.*]] = spore.add %[[LATER]], %{{.*}} : tensor<f32>
// SIMPLE-NEXT: scf.yield %[[SUM]]
// SIMPLE-NEXT: } else {
// SIMPLE-NEXT: scf.yield %[[LATER]]
// SIMPLE: spore.return %{{.*}}, %[[B]]
spore.func private @branch_then_use(%x: tensor<f32>, %c: i1) -> tensor<f32> {
  %one = spore.constant dense<1.0> : tensor<f32>
  %0 = scf.if %c -> tensor<f32> {
    %1 = spore.mul %x, %x : tensor<f32>
    scf.yield %1 : tensor<f32>
  } else {
    scf.yield %one : tensor<f32>
  }
  %2 = spore.sin %x : tensor<f32>
  %3 = spore.add %0, %2 : tensor<f32>
  spore.return %3 : tensor<f32>
}
spore.func @g_branch_then_use(%x: tensor<f32>, %c: i1) -> tensor<f32> {
  %0 = spore.grad @branch_then_use(%x, %c) wrt = [0] : (tensor<f32>, i1) -> tensor<f32>
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

// A loop with a run-time trip count keeps the state it carries into each
// iteration on a value stack sized at entry, then a reverse loop reads the
// rows from the last to the first, recomputes the iteration and reverses
// it. The captured %x accumulates its cotangent in the reverse loop.
// CHECK-LABEL: spore.func private @loopn.grad
// CHECK: %[[SPAN:.*]] = arith.subi %arg1, %[[LB:.*]] : index
// CHECK: %[[DIV:.*]] = arith.ceildivsi %[[SPAN]], %[[STEP:.*]] : index
// CHECK: %[[TRIPS:.*]] = arith.maxsi %[[DIV]]
// CHECK: %[[EMPTY:.*]] = bufferization.alloc_tensor(%[[TRIPS]]) : tensor<?x3xf32>
// CHECK: %[[FWD:.*]]:2 = scf.for %[[IV:.*]] = %[[LB]] to %arg1 step %[[STEP]] iter_args(%[[H:.*]] = %arg0, %[[STK:.*]] = %[[EMPTY]])
// CHECK: %[[OFF:.*]] = arith.subi %[[IV]], %[[LB]]
// CHECK: %[[ROW:.*]] = arith.divui %[[OFF]], %[[STEP]]
// CHECK: spore.sin %[[H]]
// CHECK: %[[PUSH:.*]] = tensor.insert_slice %[[H]] into %[[STK]][%[[ROW]], 0] [1, 3] [1, 1]
// CHECK: scf.yield %{{.*}}, %[[PUSH]]
// CHECK: %[[REV:.*]]:2 = scf.for %[[KK:.*]] = %{{.*}} to %[[TRIPS]] step %{{.*}} iter_args(%[[CH:.*]] = %{{.*}}, %[[CX:.*]] = %{{.*}})
// CHECK: %[[LAST:.*]] = arith.subi %[[TRIPS]], %{{.*}}
// CHECK: %[[K:.*]] = arith.subi %[[LAST]], %[[KK]]
// CHECK: %[[OLD:.*]] = tensor.extract_slice %[[FWD]]#1[%[[K]], 0] [1, 3] [1, 1] : tensor<?x3xf32> to tensor<3xf32>
// CHECK: spore.sin %[[OLD]]
// CHECK: spore.cos %[[OLD]]
// CHECK: scf.yield
// CHECK: spore.add %[[REV]]#0, %[[REV]]#1
// SIMPLE-LABEL: spore.func private @loopn.grad
// SIMPLE: bufferization.alloc_tensor
// SIMPLE: tensor.insert_slice
// SIMPLE: tensor.extract_slice
spore.func private @loopn(%x: tensor<3xf32>, %n: index) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %0 = scf.for %i = %c0 to %n step %c2 iter_args(%h = %x) -> (tensor<3xf32>) {
    %1 = spore.sin %h : tensor<3xf32>
    %2 = spore.mul %1, %x : tensor<3xf32>
    scf.yield %2 : tensor<3xf32>
  }
  %3 = spore.sum %0 axes = [0] : tensor<3xf32> -> tensor<f32>
  spore.return %3 : tensor<f32>
}
spore.func @m(%x: tensor<3xf32>, %n: index) -> tensor<3xf32> {
  %0 = spore.grad @loopn(%x, %n) wrt = [0] : (tensor<3xf32>, index) -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// A while loop does not know its trip count: its stacks start with 8 rows
// and double when full. It pushes the state each time the condition is
// evaluated (scalars too, with tensor.insert), so the reverse sweep first
// reverses the last evaluation of the condition, then each iteration.
// CHECK-LABEL: spore.func private @loopw.grad
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[S0:.*]] = bufferization.alloc_tensor(%[[C8]]) : tensor<?xf32>
// CHECK-DAG: %[[S1:.*]] = bufferization.alloc_tensor(%[[C8]]) : tensor<?xi64>
// CHECK: %[[W:.*]]:5 = scf.while (%[[Y:.*]] = %arg0, %[[K:.*]] = %{{.*}}, %[[A:.*]] = %[[S0]], %[[B:.*]] = %[[S1]], %[[N:.*]] = %{{.*}})
// CHECK: %[[CAP:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?xf32>
// CHECK: %[[FULL:.*]] = arith.cmpi eq, %[[N]], %[[CAP]]
// CHECK: %[[G:.*]]:2 = scf.if %[[FULL]]
// CHECK: %[[TWICE:.*]] = arith.muli %[[CAP]], %{{.*}}
// CHECK: bufferization.alloc_tensor(%[[TWICE]]) : tensor<?xf32>
// CHECK: } else {
// CHECK: scf.yield %[[A]], %[[B]]
// CHECK: tensor.insert_slice %[[Y]] into %[[G]]#0[%[[N]]] [1] [1] : tensor<f32> into tensor<?xf32>
// CHECK: tensor.insert %[[K]] into %[[G]]#1[%[[N]]] : tensor<?xi64>
// CHECK: scf.condition
// CHECK: } do {
// CHECK: %[[ITER:.*]] = arith.subi %[[W]]#4, %{{.*}} : index
// CHECK: tensor.extract_slice %[[W]]#2[%[[ITER]]] [1] [1]
// CHECK: tensor.extract %[[W]]#3[%[[ITER]]] : tensor<?xi64>
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[ITER]] step
// CHECK: spore.mul
// CHECK: spore.return
spore.func private @loopw(%x: tensor<f32>, %n: i64) -> tensor<f32> {
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %0:2 = scf.while (%y = %x, %k = %c0) : (tensor<f32>, i64) -> (tensor<f32>, i64) {
    %lt = arith.cmpi slt, %k, %n : i64
    scf.condition(%lt) %y, %k : tensor<f32>, i64
  } do {
  ^bb0(%y: tensor<f32>, %k: i64):
    %1 = spore.mul %y, %y : tensor<f32>
    %2 = arith.addi %k, %c1 : i64
    scf.yield %1, %2 : tensor<f32>, i64
  }
  spore.return %0#0 : tensor<f32>
}
spore.func @w(%x: tensor<f32>, %n: i64) -> tensor<f32> {
  %0 = spore.grad @loopw(%x, %n) wrt = [0] : (tensor<f32>, i64) -> tensor<f32>
  spore.return %0 : tensor<f32>
}

// A call of a @custom_vjp function is kept, and reversed by a call of its
// rule with the operands, the results and their cotangents; the rule's
// cotangents go to the arguments. The attribute is dropped afterwards.
// CHECK-LABEL: spore.func private @soft(
// CHECK-NOT: spore.custom_vjp
// CHECK-LABEL: spore.func private @usesoft.grad
// CHECK: %[[Y:.*]] = spore.call @soft(%arg0) : (tensor<3xf32>) -> tensor<3xf32>
// CHECK: %[[G:.*]] = spore.call @soft.rule(%arg0, %[[Y]], %{{.*}}) : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
// CHECK: spore.return %{{.*}}, %[[G]]
spore.func private @soft(%x: tensor<3xf32>) -> tensor<3xf32> attributes {spore.custom_vjp = @soft.rule} {
  %0 = spore.exp %x : tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}
spore.func private @soft.rule(%x: tensor<3xf32>, %y: tensor<3xf32>, %g: tensor<3xf32>) -> tensor<3xf32> {
  %0 = spore.mul %g, %y : tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}
spore.func private @usesoft(%x: tensor<3xf32>) -> tensor<f32> {
  %0 = spore.call @soft(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %1 = spore.sum %0 axes = [0] : tensor<3xf32> -> tensor<f32>
  spore.return %1 : tensor<f32>
}
spore.func @cv(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = spore.grad @usesoft(%x) wrt = [0] : (tensor<3xf32>) -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// Regression: two stacks of one type start from two allocations, also
// after CSE (merged tensor.empty ops made one-shot bufferisation write
// both stacks into one buffer: a wrong gradient).
// SIMPLE-LABEL: spore.func private @twostacks.grad
// SIMPLE: %[[A:.*]] = bufferization.alloc_tensor(%{{.*}}) : tensor<?x3xf32>
// SIMPLE: %[[B:.*]] = bufferization.alloc_tensor(%{{.*}}) : tensor<?x3xf32>
// SIMPLE: scf.for {{.*}} iter_args({{.*}} = %[[A]], {{.*}} = %[[B]])
spore.func private @twostacks(%x: tensor<3xf32>, %n: index) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %0:2 = scf.for %i = %c0 to %n step %c1 iter_args(%a = %x, %b = %x) -> (tensor<3xf32>, tensor<3xf32>) {
    %1 = spore.sin %a : tensor<3xf32>
    %2 = spore.mul %b, %a : tensor<3xf32>
    scf.yield %1, %2 : tensor<3xf32>, tensor<3xf32>
  }
  %3 = spore.sum %0#1 axes = [0] : tensor<3xf32> -> tensor<f32>
  spore.return %3 : tensor<f32>
}
spore.func @ts(%x: tensor<3xf32>, %n: index) -> tensor<3xf32> {
  %0 = spore.grad @twostacks(%x, %n) wrt = [0] : (tensor<3xf32>, index) -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// Regression: recomputation does not print again. The forward pass prints
// once; the branch recomputed in the reverse sweep has no print.
// CHECK-LABEL: spore.func private @noisy.grad
// CHECK-COUNT-1: spore.print
// CHECK-NOT: spore.print
// CHECK: spore.return
spore.func private @noisy(%x: tensor<3xf32>, %c: i1) -> tensor<f32> {
  %0 = scf.if %c -> (tensor<3xf32>) {
    spore.print ["x = ", "\n"] %x : tensor<3xf32>
    %1 = spore.sin %x : tensor<3xf32>
    scf.yield %1 : tensor<3xf32>
  } else {
    scf.yield %x : tensor<3xf32>
  }
  %2 = spore.sum %0 axes = [0] : tensor<3xf32> -> tensor<f32>
  spore.return %2 : tensor<f32>
}
spore.func @pn(%x: tensor<3xf32>, %c: i1) -> tensor<3xf32> {
  %0 = spore.grad @noisy(%x, %c) wrt = [0] : (tensor<3xf32>, i1) -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// A weight shared by a batch: its gradient is one matmul over the
// flattened batch, not a batched matmul summed over the batch.
// CHECK-LABEL: spore.func private @dense3.grad
// CHECK: %[[XF:.*]] = spore.reshape %arg0 : tensor<2x5x4xf32> -> tensor<10x4xf32>
// CHECK: %[[GF:.*]] = spore.reshape %{{.*}} : tensor<2x5x3xf32> -> tensor<10x3xf32>
// CHECK: %[[XT:.*]] = spore.transpose %[[XF]] permutation = [1, 0] : tensor<10x4xf32> -> tensor<4x10xf32>
// CHECK: %[[GW:.*]] = spore.matmul %[[XT]], %[[GF]] : tensor<4x10xf32>, tensor<10x3xf32> -> tensor<4x3xf32>
// CHECK: spore.return %{{.*}}, %[[GW]]
spore.func private @dense3(%x: tensor<2x5x4xf32>, %w: tensor<4x3xf32>) -> tensor<f32> {
  %0 = spore.matmul %x, %w : tensor<2x5x4xf32>, tensor<4x3xf32> -> tensor<2x5x3xf32>
  %1 = spore.sum %0 axes = [0, 1, 2] : tensor<2x5x3xf32> -> tensor<f32>
  spore.return %1 : tensor<f32>
}
spore.func @dw(%x: tensor<2x5x4xf32>, %w: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = spore.grad @dense3(%x, %w) wrt = [1] : (tensor<2x5x4xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  spore.return %0 : tensor<4x3xf32>
}

// Reverse over reverse through a loop: the inner adjoint, differentiated
// again, replays the forward iterations up to the one it reverses instead
// of keeping a value stack; the outer adjoint keeps stacks of the inner
// adjoint's loops as usual.
// CHECK-LABEL: spore.func private @sqn.grad.replay
// CHECK-NOT: alloc_tensor
// CHECK: %[[FWD:.*]] = scf.for %{{.*}} = %[[LB:.*]] to %arg1 step %{{.*}} iter_args(%{{.*}} = %arg0) -> (tensor<3xf32>)
// CHECK: scf.for %[[KK:.*]] = %{{.*}} to %[[TRIPS:.*]] step %{{.*}} iter_args
// CHECK: %[[K:.*]] = arith.subi %{{.*}}, %[[KK]]
// CHECK: %[[STATE:.*]] = scf.for %{{.*}} = %{{.*}} to %[[K]] step %{{.*}} iter_args(%{{.*}} = %arg0) -> (tensor<3xf32>)
// CHECK: spore.sin
// CHECK: spore.cos %[[STATE]]
// CHECK-LABEL: spore.func private @dsqn.grad(
// CHECK: bufferization.alloc_tensor
// CHECK: spore.return
spore.func private @sqn(%x: tensor<3xf32>, %n: index) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %0 = scf.for %i = %c0 to %n step %c1 iter_args(%h = %x) -> (tensor<3xf32>) {
    %1 = spore.sin %h : tensor<3xf32>
    scf.yield %1 : tensor<3xf32>
  }
  %2 = spore.sum %0 axes = [0] : tensor<3xf32> -> tensor<f32>
  spore.return %2 : tensor<f32>
}
spore.func private @dsqn(%x: tensor<3xf32>, %n: index) -> tensor<f32> {
  %0 = spore.grad @sqn(%x, %n) wrt = [0] : (tensor<3xf32>, index) -> tensor<3xf32>
  %1 = spore.sum %0 axes = [0] : tensor<3xf32> -> tensor<f32>
  spore.return %1 : tensor<f32>
}
spore.func @ddsqn(%x: tensor<3xf32>, %n: index) -> tensor<3xf32> {
  %0 = spore.grad @dsqn(%x, %n) wrt = [0] : (tensor<3xf32>, index) -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// An arith.select of tensors (a canonicalised scf.if) sends the cotangent
// to the operand it chose and zeros to the other.
// CHECK-LABEL: spore.func private @choose.grad
// CHECK: %[[Z:.*]] = spore.constant dense<0.000000e+00> : tensor<3xf32>
// CHECK: arith.select %arg2, %{{.*}}, %[[Z]] : tensor<3xf32>
// CHECK: arith.select %arg2, %[[Z]], %{{.*}} : tensor<3xf32>
spore.func private @choose(%x: tensor<3xf32>, %y: tensor<3xf32>, %c: i1) -> tensor<f32> {
  %0 = spore.sin %y : tensor<3xf32>
  %1 = arith.select %c, %x, %0 : tensor<3xf32>
  %2 = spore.sum %1 axes = [0] : tensor<3xf32> -> tensor<f32>
  spore.return %2 : tensor<f32>
}
spore.func @g_choose(%x: tensor<3xf32>, %y: tensor<3xf32>, %c: i1) -> (tensor<3xf32>, tensor<3xf32>) {
  %0:2 = spore.grad @choose(%x, %y, %c) wrt = [0, 1] : (tensor<3xf32>, tensor<3xf32>, i1) -> (tensor<3xf32>, tensor<3xf32>)
  spore.return %0#0, %0#1 : tensor<3xf32>, tensor<3xf32>
}
