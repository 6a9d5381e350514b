// RUN: spore-opt %s -verify-each --spore-strip-checks | FileCheck %s

// The language's run-time checks go; the user's own assert stays.
// CHECK-LABEL: spore.func @f
// CHECK-NOT: precondition
// CHECK: spore.assert %arg0, "m.py:2: assertion failed" : tensor<i1>
// CHECK-NOT: spore.assert
spore.func @f(%c: tensor<i1>, %i: tensor<i64>) {
  spore.assert %c, "m.py:1:5: index {} is out of bounds"(%i : tensor<i64>) {precondition} : tensor<i1>
  spore.assert %c, "m.py:2: assertion failed" : tensor<i1>
  spore.assert %c, "m.py:3:9: range() step must not be zero" {precondition} : tensor<i1>
  spore.return
}
