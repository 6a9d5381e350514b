// RUN: spore-opt %s --canonicalize | FileCheck %s

// Folds that keep derivative code lean: constants of the rules fold, and
// adding zeros or multiplying by ones disappears.

// CHECK-LABEL: spore.func @splats
// CHECK-DAG: %[[A:.*]] = spore.constant dense<-2.000000e-01> : tensor<5x3xf32>
// CHECK-DAG: %[[B:.*]] = spore.constant dense<2.500000e+00> : tensor<2xf32>
// CHECK: spore.return %[[A]], %[[B]]
spore.func @splats() -> (tensor<5x3xf32>, tensor<2xf32>) {
  %one = spore.constant dense<1.0> : tensor<f32>
  %0 = spore.neg %one : tensor<f32>
  %1 = spore.reshape %0 : tensor<f32> -> tensor<1xf32>
  %2 = spore.broadcast_to %1 : tensor<1xf32> -> tensor<5xf32>
  %k = spore.constant dense<0.2> : tensor<5xf32>
  %3 = spore.mul %2, %k : tensor<5xf32>
  %4 = spore.reshape %3 : tensor<5xf32> -> tensor<5x1xf32>
  %5 = spore.broadcast_to %4 : tensor<5x1xf32> -> tensor<5x3xf32>
  %a = spore.constant dense<2.0> : tensor<2xf32>
  %b = spore.constant dense<0.5> : tensor<2xf32>
  %6 = spore.add %a, %b : tensor<2xf32>
  %7 = spore.sub %6, %b : tensor<2xf32>
  %8 = spore.div %7, %a : tensor<2xf32>
  %9 = spore.mul %8, %6 : tensor<2xf32>
  spore.return %5, %9 : tensor<5x3xf32>, tensor<2xf32>
}

// CHECK-LABEL: spore.func @identities
// CHECK-NOT: spore.add
// CHECK-NOT: spore.sub
// CHECK-NOT: spore.mul
// CHECK-NOT: spore.div
// CHECK: spore.return %arg0, %arg0, %arg0, %arg0, %arg0
spore.func @identities(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %zero = spore.constant dense<0.0> : tensor<3xf32>
  %one = spore.constant dense<1.0> : tensor<3xf32>
  %0 = spore.add %x, %zero : tensor<3xf32>
  %1 = spore.add %zero, %x : tensor<3xf32>
  %2 = spore.sub %x, %zero : tensor<3xf32>
  %3 = spore.mul %one, %x : tensor<3xf32>
  %4 = spore.div %x, %one : tensor<3xf32>
  spore.return %0, %1, %2, %3, %4 : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
}

// Multiplication by zero does not fold (0 * inf is NaN).
// CHECK-LABEL: spore.func @kept
// CHECK: spore.mul %arg0, %{{.*}} : tensor<3xf32>
spore.func @kept(%x: tensor<3xf32>) -> tensor<3xf32> {
  %zero = spore.constant dense<0.0> : tensor<3xf32>
  %0 = spore.mul %x, %zero : tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// A transpose of a transpose is one transpose, or none.
// CHECK-LABEL: spore.func @transposes
// CHECK: %[[T:.*]] = spore.transpose %arg0 permutation = [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
// CHECK: spore.return %arg0, %[[T]]
spore.func @transposes(%x: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<4x2x3xf32>) {
  %0 = spore.transpose %x permutation = [0, 2, 1] : tensor<2x3x4xf32> -> tensor<2x4x3xf32>
  %1 = spore.transpose %0 permutation = [0, 2, 1] : tensor<2x4x3xf32> -> tensor<2x3x4xf32>
  %2 = spore.transpose %0 permutation = [1, 0, 2] : tensor<2x4x3xf32> -> tensor<4x2x3xf32>
  spore.return %1, %2 : tensor<2x3x4xf32>, tensor<4x2x3xf32>
}

// A reshape of a reshape reads the first one's input; a dynamic update of
// the whole input is the update (batched derivatives make both).
// CHECK-LABEL: spore.func @reshape_chain_and_full_update
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[U:.*]]: tensor<2x3xf32>, %[[K:.*]]: tensor<i64>)
// CHECK: %[[R:.*]] = spore.reshape %[[X]] : tensor<2x3xf32> -> tensor<3x2xf32>
// CHECK: spore.return %[[R]], %[[U]]
spore.func @reshape_chain_and_full_update(%x: tensor<2x3xf32>, %u: tensor<2x3xf32>, %k: tensor<i64>) -> (tensor<3x2xf32>, tensor<2x3xf32>) {
  %0 = spore.reshape %x : tensor<2x3xf32> -> tensor<6xf32>
  %1 = spore.reshape %0 : tensor<6xf32> -> tensor<3x2xf32>
  %2 = spore.dynamic_update_slice %u into %x[%k, %k] : tensor<2x3xf32> into tensor<2x3xf32>
  spore.return %1, %2 : tensor<3x2xf32>, tensor<2x3xf32>
}
