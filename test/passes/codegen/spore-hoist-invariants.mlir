// RUN: spore-opt %s --spore-hoist-invariants | FileCheck %s

// The invariant product and its sum leave the loop; the zeros the sum
// starts from are filled again inside the loop for the reduction there
// that overwrites them, and the insert writes into a fill of its own.
// CHECK-LABEL: func.func @column_loop
// CHECK: %[[ZERO:.*]] = linalg.fill
// CHECK: %[[SQ:.*]] = linalg.generic
// CHECK: arith.mulf
// CHECK: %[[SUM:.*]] = linalg.reduce ins(%[[SQ]]
// CHECK: scf.for
// CHECK-NOT: arith.mulf
// CHECK: %[[TFILL:.*]] = linalg.fill
// CHECK-NEXT: tensor.insert_slice %{{.*}} into %[[TFILL]]
// CHECK-NEXT: %[[REFILL:.*]] = linalg.fill
// CHECK-NEXT: linalg.reduce ins(%{{.*}} : tensor<8x4xf32>) outs(%[[REFILL]]
func.func @column_loop(%x: tensor<8x4xf32>, %n: index) -> tensor<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<8x1xf32>
  %e8 = tensor.empty() : tensor<8xf32>
  %z8 = linalg.fill ins(%zero : f32) outs(%e8 : tensor<8xf32>) -> tensor<8xf32>
  %e84 = tensor.empty() : tensor<8x4xf32>
  %z84 = linalg.fill ins(%zero : f32) outs(%e84 : tensor<8x4xf32>) -> tensor<8x4xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %z8) -> tensor<8xf32> {
    // Invariant: x * x summed over its columns.
    %sq = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                          iterator_types = ["parallel", "parallel"]}
        ins(%x : tensor<8x4xf32>) outs(%e84 : tensor<8x4xf32>) {
    ^bb0(%a: f32, %o: f32):
      %m = arith.mulf %a, %a : f32
      linalg.yield %m : f32
    } -> tensor<8x4xf32>
    %sum = linalg.reduce ins(%sq : tensor<8x4xf32>) outs(%z8 : tensor<8xf32>) dimensions = [1]
      (%a: f32, %b: f32) {
        %s = arith.addf %a, %b : f32
        linalg.yield %s : f32
      }
    // Varies: a one-hot column at %i, then its sum.
    %t = tensor.insert_slice %one into %z84[0, %i] [8, 1] [1, 1] : tensor<8x1xf32> into tensor<8x4xf32>
    %tsum = linalg.reduce ins(%t : tensor<8x4xf32>) outs(%z8 : tensor<8xf32>) dimensions = [1]
      (%a: f32, %b: f32) {
        %s = arith.addf %a, %b : f32
        linalg.yield %s : f32
      }
    %next = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                            iterator_types = ["parallel"]}
        ins(%acc, %sum, %tsum : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) outs(%e8 : tensor<8xf32>) {
    ^bb0(%a: f32, %b: f32, %c: f32, %o: f32):
      %s = arith.addf %a, %b : f32
      %u = arith.addf %s, %c : f32
      linalg.yield %u : f32
    } -> tensor<8xf32>
    scf.yield %next : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}
