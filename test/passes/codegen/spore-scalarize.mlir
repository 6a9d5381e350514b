// RUN: spore-opt %s -verify-each -split-input-file --spore-scalarize | FileCheck %s

// A recurrence on 0-d tensors: the loop carries f32 values, and the
// arithmetic is on them; the tensors are gone but for the result.
// CHECK-LABEL: func.func @recurrence
// CHECK-DAG: %[[X0:.*]] = tensor.extract %arg1[] : tensor<f32>
// CHECK-DAG: %[[V0:.*]] = tensor.extract %arg2[] : tensor<f32>
// CHECK: %[[R:.*]]:2 = scf.for %{{.*}} = %{{.*}} to %arg0 step %{{.*}} iter_args(%[[X:.*]] = %[[X0]], %[[V:.*]] = %[[V0]]) -> (f32, f32) {
// CHECK:   %[[S:.*]] = arith.mulf %[[V]], %{{.*}} : f32
// CHECK:   %[[NX:.*]] = arith.addf %[[X]], %[[S]] : f32
// CHECK:   %[[NV:.*]] = arith.subf %[[V]], %[[NX]] : f32
// CHECK:   scf.yield %[[NX]], %[[NV]] : f32, f32
// CHECK-NOT: linalg.generic
// CHECK: %[[T:.*]] = tensor.from_elements %[[R]]#0 : tensor<f32>
// CHECK: return %[[T]]
#scalar = affine_map<() -> ()>
func.func @recurrence(%n: index, %x0: tensor<f32>, %v0: tensor<f32>)
    -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %k = arith.constant dense<0.1> : tensor<f32>
  %r:2 = scf.for %i = %c0 to %n step %c1 iter_args(%x = %x0, %v = %v0)
      -> (tensor<f32>, tensor<f32>) {
    %e = tensor.empty() : tensor<f32>
    %s = linalg.generic {indexing_maps = [#scalar, #scalar, #scalar],
                         iterator_types = []}
        ins(%v, %k : tensor<f32>, tensor<f32>) outs(%e : tensor<f32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %m = arith.mulf %a, %b : f32
      linalg.yield %m : f32
    } -> tensor<f32>
    %nx = linalg.generic {indexing_maps = [#scalar, #scalar, #scalar],
                          iterator_types = []}
        ins(%x, %s : tensor<f32>, tensor<f32>) outs(%e : tensor<f32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %m = arith.addf %a, %b : f32
      linalg.yield %m : f32
    } -> tensor<f32>
    %nv = linalg.generic {indexing_maps = [#scalar, #scalar, #scalar],
                          iterator_types = []}
        ins(%v, %nx : tensor<f32>, tensor<f32>) outs(%e : tensor<f32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %m = arith.subf %a, %b : f32
      linalg.yield %m : f32
    } -> tensor<f32>
    scf.yield %nx, %nv : tensor<f32>, tensor<f32>
  }
  return %r#0 : tensor<f32>
}

// -----

// Tensors of rank 1 and up stay tensors, in loops and ops alike.
// CHECK-LABEL: func.func @vectors
// CHECK: scf.for {{.*}} -> (tensor<4xf32>)
// CHECK:   linalg.generic
func.func @vectors(%n: index, %x0: tensor<4xf32>) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%x = %x0) -> (tensor<4xf32>) {
    %e = tensor.empty() : tensor<4xf32>
    %y = linalg.generic {indexing_maps = [affine_map<(d) -> (d)>,
                                          affine_map<(d) -> (d)>],
                         iterator_types = ["parallel"]}
        ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
    ^bb0(%a: f32, %o: f32):
      %m = arith.mulf %a, %a : f32
      linalg.yield %m : f32
    } -> tensor<4xf32>
    scf.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
