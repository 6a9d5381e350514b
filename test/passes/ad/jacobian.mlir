// RUN: spore-opt %s -verify-each --spore-differentiate --canonicalize --cse | FileCheck %s

// spore.jacobian becomes a loop of passes seeded with unit vectors made at
// run time, so the loop's code does not depend on the size. Each pass
// takes W rows of the identity: with width 1 it calls the derivative
// function (@f.vjp for jacrev, @f.jvp for jacfwd) on one unit vector; with
// width W the derivative function batched over its seed.

// The batched functions: the primal is computed once, the seeds' part on
// all lanes at once, a matrix-vector product becoming a matrix product.
// CHECK-LABEL: spore.func private @f.jvp.x4(
// CHECK-SAME: %{{.*}}: tensor<3xf64>, %{{.*}}: tensor<2x3xf64>, %[[T:.*]]: tensor<4x2x3xf64>) -> (tensor<4x2xf64>, tensor<4x2xf64>)
// CHECK: %[[ROWS:.*]] = spore.reshape %[[T]] : tensor<4x2x3xf64> -> tensor<8x3xf64>
// CHECK: spore.matmul %[[ROWS]], %{{.*}} : tensor<8x3xf64>, tensor<3xf64> -> tensor<8xf64>
// CHECK-NOT: scf.for
// CHECK: spore.return

// CHECK-LABEL: spore.func private @f.vjp.x2(
// CHECK-SAME: %[[X:.*]]: tensor<3xf64>, %[[W:.*]]: tensor<2x3xf64>, %[[S:.*]]: tensor<2x2xf64>) -> (tensor<2x2xf64>, tensor<2x3xf64>)
// CHECK: spore.matmul %[[W]], %[[X]] : tensor<2x3xf64>, tensor<3xf64> -> tensor<2xf64>
// CHECK: %[[D:.*]] = spore.broadcast_to %{{.*}} : tensor<2xf64> -> tensor<2x2xf64>
// CHECK: %[[G:.*]] = spore.mul %[[S]], %[[D]] : tensor<2x2xf64>
// CHECK: %[[XB:.*]] = spore.matmul %[[G]], %[[W]] : tensor<2x2xf64>, tensor<2x3xf64> -> tensor<2x3xf64>
// CHECK-NOT: scf.for
// CHECK: spore.return %{{.*}}, %[[XB]]

// CHECK-LABEL: spore.func @jr
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[ONE:.*]] = spore.constant dense<1.000000e+00> : tensor<1x1xf64>
// CHECK-DAG: %[[EYE4:.*]] = spore.constant dense<{{\[}}[1.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], {{.*}}> : tensor<4x4xf64>
// CHECK-DAG: %[[EYE2:.*]] = spore.constant dense<{{\[}}[1.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00]]> : tensor<2x2xf64>

// Width 1: one vjp per row.
// CHECK: %[[BYROW:.*]] = scf.for %[[K:.*]] = %{{.*}} to %[[C2]] step %{{.*}} iter_args(%[[J:.*]] = %{{.*}}) -> (tensor<2x3xf64>)
// CHECK: %[[I:.*]] = arith.index_cast %[[K]] : index to i64
// CHECK: %[[KT:.*]] = tensor.from_elements %[[I]] : tensor<i64>
// CHECK: %[[UNIT:.*]] = spore.dynamic_update_slice %[[ONE]] into %{{.*}}[%{{.*}}, %[[KT]]] : tensor<1x1xf64> into tensor<1x2xf64>
// CHECK: %[[SEED:.*]] = spore.reshape %[[UNIT]] : tensor<1x2xf64> -> tensor<2xf64>
// CHECK: %[[V:.*]]:2 = spore.call @f.vjp(%arg0, %arg1, %[[SEED]])
// CHECK: %[[ROW:.*]] = spore.reshape %[[V]]#1 : tensor<3xf64> -> tensor<1x3xf64>
// CHECK: spore.dynamic_update_slice %[[ROW]] into %[[J]][%[[KT]], %{{.*}}] : tensor<1x3xf64> into tensor<2x3xf64>

// Width 4 over 6 columns: 2 passes into 8 columns, of which 6 are kept.
// CHECK: %[[COLS:.*]] = scf.for %[[C:.*]] = %{{.*}} to %[[C2]] step %{{.*}} iter_args(%[[A:.*]] = %{{.*}}) -> (tensor<2x8xf64>)
// CHECK: %[[FIRST:.*]] = arith.muli %[[C]], %[[C4]] : index
// CHECK: %[[FI:.*]] = arith.index_cast %[[FIRST]] : index to i64
// CHECK: %[[FT:.*]] = tensor.from_elements %[[FI]] : tensor<i64>
// CHECK: %[[PADDED:.*]] = spore.dynamic_update_slice %[[EYE4]] into %{{.*}}[%{{.*}}, %[[FT]]] : tensor<4x4xf64> into tensor<4x8xf64>
// CHECK: %[[SEEDS:.*]] = spore.slice %[[PADDED]] starts = [0, 0] steps = [1, 1] : tensor<4x8xf64> -> tensor<4x6xf64>
// CHECK: %[[SEEDS3:.*]] = spore.reshape %[[SEEDS]] : tensor<4x6xf64> -> tensor<4x2x3xf64>
// CHECK: %[[T4:.*]]:2 = spore.call @f.jvp.x4(%arg0, %arg1, %[[SEEDS3]])
// CHECK: %[[PART:.*]] = spore.transpose %[[T4]]#1 permutation = [1, 0] : tensor<4x2xf64> -> tensor<2x4xf64>
// CHECK: spore.dynamic_update_slice %[[PART]] into %[[A]][%{{.*}}, %[[FT]]] : tensor<2x4xf64> into tensor<2x8xf64>
// CHECK: %[[KEPT:.*]] = spore.slice %[[COLS]] starts = [0, 0] steps = [1, 1] : tensor<2x8xf64> -> tensor<2x6xf64>
// CHECK: %[[J3:.*]] = spore.reshape %[[KEPT]] : tensor<2x6xf64> -> tensor<2x2x3xf64>

// The default width covers the 2 rows: one pass, and the loop folds away.
// CHECK: %[[ALL:.*]]:2 = spore.call @f.vjp.x2(%arg0, %arg1, %[[EYE2]])
// CHECK: spore.return %[[BYROW]], %[[J3]], %[[ALL]]#1
spore.func private @f(%x: tensor<3xf64>, %w: tensor<2x3xf64>) -> tensor<2xf64> {
  %0 = spore.matmul %w, %x : tensor<2x3xf64>, tensor<3xf64> -> tensor<2xf64>
  %1 = spore.tanh %0 : tensor<2xf64>
  spore.return %1 : tensor<2xf64>
}
spore.func @jr(%x: tensor<3xf64>, %w: tensor<2x3xf64>) -> (tensor<2x3xf64>, tensor<2x2x3xf64>, tensor<2x3xf64>) {
  %0 = spore.jacobian @f(%x, %w) wrt = 0 width = 1 : (tensor<3xf64>, tensor<2x3xf64>) -> tensor<2x3xf64>
  %1 = spore.jacobian @f(%x, %w) wrt = 1 forward width = 4 : (tensor<3xf64>, tensor<2x3xf64>) -> tensor<2x2x3xf64>
  %2 = spore.jacobian @f(%x, %w) wrt = 0 : (tensor<3xf64>, tensor<2x3xf64>) -> tensor<2x3xf64>
  spore.return %0, %1, %2 : tensor<2x3xf64>, tensor<2x2x3xf64>, tensor<2x3xf64>
}
