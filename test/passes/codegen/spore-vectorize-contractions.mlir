// RUN: spore-opt %s -split-input-file -verify-each --pass-pipeline="builtin.module(func.func(spore-vectorize-contractions))" | FileCheck %s
// RUN: spore-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(spore-vectorize-contractions{tile-m=4 tile-n=16}))" | FileCheck %s --check-prefix=SMALL

// A matmul becomes loops over 8x24 output tiles (24: the largest divisor
// of 48 up to 32) and single reduction steps, each tile one contract. Its
// two row tiles are few: the loop over them goes inside the columns'.
// CHECK-LABEL: func.func @matmul
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[C24:.*]] = arith.constant 24 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK: scf.for %{{.*}} step %[[C24]]
// CHECK: scf.for %{{.*}} step %[[C8]]
// CHECK: scf.for %{{.*}} step %[[C1]]
// CHECK: vector.contract {{.*}} : vector<8x1xf32>, vector<1x24xf32> into vector<8x24xf32>
// CHECK-NOT: linalg.matmul
// SMALL-LABEL: func.func @matmul
// SMALL: vector.contract {{.*}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
func.func @matmul(%a: memref<16x64xf32>, %b: memref<64x48xf32>, %c: memref<16x48xf32>) {
  linalg.matmul ins(%a, %b : memref<16x64xf32>, memref<64x48xf32>) outs(%c : memref<16x48xf32>)
  return
}

// -----

// Prime sizes give whole-dimension tiles: no partial tile, no mask.
// CHECK-LABEL: func.func @primes
// CHECK: vector.contract {{.*}} : vector<7x1xf32>, vector<1x5xf32> into vector<7x5xf32>
// CHECK-NOT: vector.mask
func.func @primes(%a: memref<7x3xf32>, %b: memref<3x5xf32>, %c: memref<7x5xf32>) {
  linalg.matmul ins(%a, %b : memref<7x3xf32>, memref<3x5xf32>) outs(%c : memref<7x5xf32>)
  return
}

// -----

// A batched matmul steps over the batch one at a time.
// CHECK-LABEL: func.func @batched
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: vector.contract {{.*}} : vector<1x8x1xf32>, vector<1x1x32xf32> into vector<1x8x32xf32>
func.func @batched(%a: memref<3x16x8xf32>, %b: memref<3x8x64xf32>, %c: memref<3x16x64xf32>) {
  linalg.batch_matmul ins(%a, %b : memref<3x16x8xf32>, memref<3x8x64xf32>) outs(%c : memref<3x16x64xf32>)
  return
}

// -----

// Dynamic shapes and tensors are left alone (to the loops), as are
// operations that are not contractions.
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: vector.contract
// CHECK: linalg.matmul ins(%{{.*}} : memref<?x4xf32>
// CHECK: linalg.matmul ins(%{{.*}} : tensor<2x4xf32>
// CHECK: linalg.generic
// CHECK-NOT: vector.contract
func.func @untouched(%a: memref<?x4xf32>, %b: memref<4x4xf32>, %c: memref<?x4xf32>,
                     %t: tensor<2x4xf32>, %u: tensor<4x4xf32>, %v: tensor<2x4xf32>,
                     %x: memref<8xf32>) -> tensor<2x4xf32> {
  linalg.matmul ins(%a, %b : memref<?x4xf32>, memref<4x4xf32>) outs(%c : memref<?x4xf32>)
  %r = linalg.matmul ins(%t, %u : tensor<2x4xf32>, tensor<4x4xf32>) outs(%v : tensor<2x4xf32>) -> tensor<2x4xf32>
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>], iterator_types = ["parallel"]} outs(%x : memref<8xf32>) {
  ^bb0(%o: f32):
    %n = arith.negf %o : f32
    linalg.yield %n : f32
  }
  return %r : tensor<2x4xf32>
}

// -----

// A transpose that moves the innermost dimension goes by 8x8 blocks, each
// read and written through registers.
// CHECK-LABEL: func.func @transpose
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[BLOCK:.*]] = vector.transfer_read {{.*}} : memref<8x8xf32, strided<[24, 1], offset: ?>>, vector<8x8xf32>
// CHECK: vector.transfer_write %[[BLOCK]], {{.*}} : vector<8x8xf32>, memref<8x8xf32, strided<[16, 1], offset: ?>>
// CHECK-NOT: linalg.transpose
func.func @transpose(%a: memref<16x24xf32>, %b: memref<24x16xf32>) {
  linalg.transpose ins(%a : memref<16x24xf32>) outs(%b : memref<24x16xf32>) permutation = [1, 0]
  return
}

// -----

// Heads of attention: dimensions 1 and 2 swap, rows stay rows; each row
// is copied whole through a vector (up to 64 elements at a time).
// CHECK-LABEL: func.func @heads
// CHECK-NOT: linalg.transpose
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[ROW:.*]] = vector.transfer_read {{.*}} vector<1x1x1x8xf32>
// CHECK: vector.transfer_write %[[ROW]], {{.*}} : vector<1x1x1x8xf32>
// CHECK-NOT: linalg.transpose
func.func @heads(%a: memref<2x4x3x8xf32>, %b: memref<2x3x4x8xf32>) {
  linalg.transpose ins(%a : memref<2x4x3x8xf32>) outs(%b : memref<2x3x4x8xf32>) permutation = [0, 2, 1, 3]
  return
}

// -----

// Batched: the last two dimensions swap in 8x6 blocks (6: the largest
// divisor of 12 up to 8).
// CHECK-LABEL: func.func @batched_transpose
// CHECK: vector.transfer_read {{.*}} : memref<1x6x8xf32, strided<[192, 16, 1], offset: ?>>, vector<1x8x6xf32>
// CHECK-NOT: linalg.transpose
func.func @batched_transpose(%a: memref<3x12x16xf32>, %b: memref<3x16x12xf32>) {
  linalg.transpose ins(%a : memref<3x12x16xf32>) outs(%b : memref<3x16x12xf32>) permutation = [0, 2, 1]
  return
}

// -----

// A contraction generic (activations of a batch times a weight) becomes a
// vector.contract too, by way of linalg.contract, not a multiply and a
// reduction: its multiply-adds then lower to FMAs like a matmul's.
// CHECK-LABEL: func.func @batch_times_weight
// CHECK: vector.contract {{.*}} : vector<1x8x1xf32>, vector<1x32xf32> into vector<1x8x32xf32>
// CHECK-NOT: arith.mulf
// CHECK-NOT: vector.multi_reduction
#x = affine_map<(b, s, n, k) -> (b, s, k)>
#w = affine_map<(b, s, n, k) -> (k, n)>
#y = affine_map<(b, s, n, k) -> (b, s, n)>
func.func @batch_times_weight(%x: memref<2x16x24xf32>, %w: memref<24x64xf32>, %y: memref<2x16x64xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %w : memref<2x16x24xf32>, memref<24x64xf32>) outs(%y : memref<2x16x64xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Rows in more than 4 tiles stay the outer loop.
// CHECK-LABEL: func.func @many_rows
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK: scf.for %{{.*}} step %[[C8]]
// CHECK: scf.for %{{.*}} step %[[C32]]
func.func @many_rows(%a: memref<64x16xf32>, %b: memref<16x64xf32>, %c: memref<64x64xf32>) {
  linalg.matmul ins(%a, %b : memref<64x16xf32>, memref<16x64xf32>) outs(%c : memref<64x64xf32>)
  return
}

// -----

// The fill of the whole output just before the product moves into the
// tile loops: each tile is written with the fill's value just before its
// reduction loop (spore-lower-vectors then starts the registers from it).
// CHECK-LABEL: func.func @filled
// CHECK-NOT: linalg.fill
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:   scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:     %[[TILE:.*]] = memref.subview %arg2[%[[I]], %[[J]]] [8, 32] [1, 1]
// CHECK:     vector.transfer_write %{{.*}}, %[[TILE]]{{.*}} : vector<8x32xf32>
// CHECK:     scf.for
// CHECK:       vector.contract
// CHECK-NOT: linalg.fill
func.func @filled(%a: memref<64x16xf32>, %b: memref<16x64xf32>, %c: memref<64x64xf32>) attributes {spore.export = "filled"} {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<64x64xf32>)
  linalg.matmul ins(%a, %b : memref<64x16xf32>, memref<16x64xf32>) outs(%c : memref<64x64xf32>)
  return
}

// -----

// In a function that is not exported, two arguments may be one buffer: the
// product may read what the fill wrote, so the fill stays whole.
// CHECK-LABEL: func.func @maybe_aliased
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%arg2 : memref<64x64xf32>)
// CHECK: scf.for
func.func @maybe_aliased(%a: memref<64x64xf32>, %b: memref<64x64xf32>, %c: memref<64x64xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<64x64xf32>)
  linalg.matmul ins(%a, %b : memref<64x64xf32>, memref<64x64xf32>) outs(%c : memref<64x64xf32>)
  return
}

// -----

// A copy of another buffer into the output just before the product (a
// product accumulated onto a value, spore-accumulate-updates) moves into
// the tile loops as the fill does: each tile is read from the same tile
// of the source and written just before its reduction loop.
// CHECK-LABEL: func.func @copied
// CHECK-NOT: memref.copy
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:   scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:     %[[TILE:.*]] = memref.subview %arg3[%[[I]], %[[J]]] [8, 32] [1, 1]
// CHECK:     %[[FROM:.*]] = memref.subview %arg2[%[[I]], %[[J]]] [8, 32] [1, 1]
// CHECK:     %[[V:.*]] = vector.transfer_read %[[FROM]]
// CHECK:     vector.transfer_write %[[V]], %[[TILE]]{{.*}} : vector<8x32xf32>
// CHECK:     scf.for
// CHECK:       vector.contract
// CHECK-NOT: memref.copy
func.func @copied(%a: memref<64x16xf32>, %b: memref<16x64xf32>, %p: memref<64x64xf32>, %c: memref<64x64xf32>) attributes {spore.export = "copied"} {
  memref.copy %p, %c : memref<64x64xf32> to memref<64x64xf32>
  linalg.matmul ins(%a, %b : memref<64x16xf32>, memref<16x64xf32>) outs(%c : memref<64x64xf32>)
  return
}

// -----

// The product reads the copy's target through an input: the copy stays
// whole, before it.
// CHECK-LABEL: func.func @copied_then_read
// CHECK: memref.copy %arg1, %arg2
// CHECK: scf.for
func.func @copied_then_read(%a: memref<64x64xf32>, %p: memref<64x64xf32>, %c: memref<64x64xf32>) attributes {spore.export = "copied_then_read"} {
  memref.copy %p, %c : memref<64x64xf32> to memref<64x64xf32>
  linalg.matmul ins(%a, %c : memref<64x64xf32>, memref<64x64xf32>) outs(%c : memref<64x64xf32>)
  return
}
