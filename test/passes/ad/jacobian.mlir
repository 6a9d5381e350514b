// RUN: spore-opt %s -verify-each --spore-differentiate --canonicalize --cse | FileCheck %s

// spore.jacobian becomes a loop of passes seeded with a unit vector made
// at run time: jacrev (no `forward`) one spore.vjp per row, jacfwd one
// spore.jvp per column, each written into the [rows, columns] result.
// The loop's code does not depend on the size.
// CHECK-LABEL: spore.func @jr
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C6:.*]] = arith.constant 6 : index
// CHECK-DAG: %[[ONE:.*]] = spore.constant dense<1.000000e+00> : tensor<1xf64>
// CHECK: %[[ROWS:.*]] = scf.for %[[K:.*]] = %{{.*}} to %[[C2]] step %{{.*}} iter_args(%[[J:.*]] = %{{.*}}) -> (tensor<2x3xf64>)
// CHECK: %[[I:.*]] = arith.index_cast %[[K]] : index to i64
// CHECK: %[[KT:.*]] = tensor.from_elements %[[I]] : tensor<i64>
// CHECK: %[[SEED:.*]] = spore.dynamic_update_slice %[[ONE]] into %{{.*}}[%[[KT]]] : tensor<1xf64> into tensor<2xf64>
// CHECK: %[[V:.*]]:2 = spore.call @f.vjp(%arg0, %arg1, %[[SEED]])
// CHECK: %[[ROW:.*]] = spore.reshape %[[V]]#1 : tensor<3xf64> -> tensor<1x3xf64>
// CHECK: spore.dynamic_update_slice %[[ROW]] into %[[J]][%[[KT]], %{{.*}}] : tensor<1x3xf64> into tensor<2x3xf64>
// CHECK: %[[COLS:.*]] = scf.for %{{.*}} = %{{.*}} to %[[C6]] step %{{.*}} iter_args(%{{.*}}) -> (tensor<2x6xf64>)
// CHECK: spore.reshape %{{.*}} : tensor<6xf64> -> tensor<2x3xf64>
// CHECK: %[[T:.*]]:2 = spore.call @f.jvp(
// CHECK: %[[COL:.*]] = spore.reshape %[[T]]#1 : tensor<2xf64> -> tensor<2x1xf64>
// CHECK: spore.dynamic_update_slice %[[COL]] into
// CHECK: %[[J3:.*]] = spore.reshape %[[COLS]] : tensor<2x6xf64> -> tensor<2x2x3xf64>
// CHECK: spore.return %[[ROWS]], %[[J3]]
spore.func private @f(%x: tensor<3xf64>, %w: tensor<2x3xf64>) -> tensor<2xf64> {
  %0 = spore.matmul %w, %x : tensor<2x3xf64>, tensor<3xf64> -> tensor<2xf64>
  %1 = spore.tanh %0 : tensor<2xf64>
  spore.return %1 : tensor<2xf64>
}
spore.func @jr(%x: tensor<3xf64>, %w: tensor<2x3xf64>) -> (tensor<2x3xf64>, tensor<2x2x3xf64>) {
  %0 = spore.jacobian @f(%x, %w) wrt = 0 : (tensor<3xf64>, tensor<2x3xf64>) -> tensor<2x3xf64>
  %1 = spore.jacobian @f(%x, %w) wrt = 1 forward : (tensor<3xf64>, tensor<2x3xf64>) -> tensor<2x2x3xf64>
  spore.return %0, %1 : tensor<2x3xf64>, tensor<2x2x3xf64>
}
