// RUN: spore-opt %s -verify-each --spore-thread-state | FileCheck %s

// spore.assign becomes values. A function that writes a slot (@bump, and
// through it the loop that calls it) takes its current value and returns
// the new one; a function that writes nothing (@pure) is left alone; an
// scf.if without else gets one that yields the value as it was; scf.for
// and scf.while carry the slots they write; the export starts from its
// Parameters and returns the final values after its results, listed in
// spore.state_writes.

// CHECK-LABEL: spore.func private @bump
// CHECK-SAME: (%{{.*}}: tensor<3xf32>, %[[N:.*]]: tensor<i64>, %{{.*}}: tensor<i64>) -> (tensor<i64>, tensor<i64>)
// CHECK-NOT: spore.assign
// CHECK: %[[NEW:.*]] = spore.add %[[N]]
// CHECK: spore.return %[[NEW]], %[[NEW]]
// CHECK-LABEL: spore.func private @pure
// CHECK-SAME: -> tensor<3xf32> {
// CHECK-LABEL: spore.func @step
// CHECK-SAME: (%[[W:.*]]: tensor<3xf32> {spore.state = "w"}, %[[N0:.*]]: tensor<i64> {spore.state = "n"}, %[[X:.*]]: tensor<3xf32> {spore.name = "x"}, %{{.*}}: tensor<i1> {spore.name = "c"})
// CHECK-SAME: -> (tensor<3xf32>, tensor<3xf32>, tensor<i64>) attributes {spore.export, spore.state_writes = array<i64: 0, 1>}
// CHECK: %[[P:.*]] = spore.call @pure
// CHECK: %[[IF:.*]] = scf.if %{{.*}} -> (tensor<3xf32>) {
// CHECK-NEXT: scf.yield %[[P]]
// CHECK-NEXT: } else {
// CHECK-NEXT: scf.yield %[[W]]
// CHECK: %[[FOR:.*]]:2 = scf.for {{.*}} iter_args(%[[ACC:.*]] = %[[X]], %[[NI:.*]] = %[[N0]]) -> (tensor<3xf32>, tensor<i64>)
// CHECK: %[[B:.*]]:2 = spore.call @bump(%[[W]], %[[N0]], %[[NI]])
// CHECK: scf.yield %{{.*}}, %[[B]]#1
// CHECK: %[[WH:.*]]:2 = scf.while (%[[V:.*]] = %[[FOR]]#0, %[[WV:.*]] = %[[IF]])
// CHECK: scf.condition(%{{.*}}) %[[V]], %[[WV]]
// CHECK: ^bb0(%[[V2:.*]]: tensor<3xf32>, %{{.*}}: tensor<3xf32>):
// CHECK: %[[D:.*]] = spore.add %[[V2]], %[[V2]]
// CHECK: scf.yield %[[D]], %[[D]]
// CHECK: spore.return %[[WH]]#0, %[[WH]]#1, %[[FOR]]#1
spore.parameter "w" : tensor<3xf32> "const" [0.0]
spore.parameter "n" : tensor<i64> "const" [0.0]

spore.func private @bump(%w: tensor<3xf32>, %n: tensor<i64>) -> tensor<i64> {
  %one = spore.constant dense<1> : tensor<i64>
  %0 = spore.add %n, %one : tensor<i64>
  spore.assign "n", %0 : tensor<i64>
  spore.return %0 : tensor<i64>
}

spore.func private @pure(%w: tensor<3xf32>, %n: tensor<i64>, %x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = spore.mul %w, %x : tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

spore.func @step(%w: tensor<3xf32> {spore.state = "w"}, %n: tensor<i64> {spore.state = "n"}, %x: tensor<3xf32> {spore.name = "x"}, %c: tensor<i1> {spore.name = "c"}) -> tensor<3xf32> attributes {spore.export} {
  %0 = spore.call @pure(%w, %n, %x) : (tensor<3xf32>, tensor<i64>, tensor<3xf32>) -> tensor<3xf32>
  %b = tensor.extract %c[] : tensor<i1>
  scf.if %b {
    spore.assign "w", %0 : tensor<3xf32>
  }
  %lb = arith.constant 0 : index
  %ub = arith.constant 4 : index
  %st = arith.constant 1 : index
  %r = scf.for %i = %lb to %ub step %st iter_args(%acc = %x) -> (tensor<3xf32>) {
    %k = spore.call @bump(%w, %n) : (tensor<3xf32>, tensor<i64>) -> tensor<i64>
    %a = spore.add %acc, %w : tensor<3xf32>
    scf.yield %a : tensor<3xf32>
  }
  %u = scf.while (%v = %r) : (tensor<3xf32>) -> tensor<3xf32> {
    %s = spore.sum %v axes = [0] : tensor<3xf32> -> tensor<f32>
    %z = spore.constant dense<1.0> : tensor<f32>
    %go = spore.compare lt, %s, %z : tensor<f32>
    %g = tensor.extract %go[] : tensor<i1>
    scf.condition(%g) %v : tensor<3xf32>
  } do {
  ^bb0(%v: tensor<3xf32>):
    %d = spore.add %v, %v : tensor<3xf32>
    spore.assign "w", %d : tensor<3xf32>
    scf.yield %d : tensor<3xf32>
  }
  spore.return %u : tensor<3xf32>
}
