// RUN: spore-opt %s -verify-each -split-input-file --pass-pipeline='builtin.module(func.func(spore-pack-contractions))' | FileCheck %s

// A [64, 256] is packed into 8 panels of 8 rows, B [256, 512] into 16
// panels of 32 columns; B has more columns than A has rows, so B's panels
// are shared out to threads. Within a thread's range, blocks of 16 of B's
// panels (512 KiB at most of a 256-long reduction slice), then the slices,
// then A's panels, then B's panels of the block; each step is an 8 x 32
// register tile over the slice, and fetches the next step's tile of C.
// CHECK-LABEL: func.func @plain
// CHECK: %[[AP:.*]] = memref.alloc() {alignment = 64 : i64} : memref<8x256x8xf32>
// CHECK: %[[AV:.*]] = memref.expand_shape %arg0 {{\[\[}}0, 1], [2]] output_shape [8, 8, 256]
// CHECK: linalg.transpose ins(%[[AV]] : memref<8x8x256xf32>) outs(%[[AP]] : memref<8x256x8xf32>) permutation = [0, 2, 1]
// CHECK: %[[BP:.*]] = memref.alloc() {alignment = 64 : i64} : memref<16x256x32xf32>
// CHECK: %[[BV:.*]] = memref.expand_shape %arg1 {{\[\[}}0], [1, 2]] output_shape [256, 16, 32]
// CHECK: linalg.transpose ins(%[[BV]] : memref<256x16x32xf32>) outs(%[[BP]] : memref<16x256x32xf32>) permutation = [1, 0, 2]
// CHECK: %[[N:.*]] = arith.constant 16 : i64
// CHECK: spore.parallel %[[N]] {
// CHECK: ^bb0(%[[B:.*]]: i64, %[[E:.*]]: i64):
// CHECK:   %[[FIRST:.*]] = arith.index_cast %[[B]]
// CHECK:   %[[LAST:.*]] = arith.index_cast %[[E]]
// CHECK:   %[[BLOCK:.*]] = arith.constant 16 : index
// CHECK:   scf.for %[[N2:.*]] = %[[FIRST]] to %[[LAST]] step %[[BLOCK]]
// CHECK:     %[[END:.*]] = arith.minsi %{{.*}}, %[[LAST]]
// CHECK:     scf.for %[[K1:.*]] = %{{.*}} to %{{.*}} step
// CHECK:       scf.for %[[M1:.*]] = %{{.*}} to %{{.*}} step
// CHECK:         scf.for %[[N1:.*]] = %[[N2]] to %[[END]] step
// CHECK:           memref.subview %[[AP]][%[[M1]], %{{.*}}, 0] [1, 256, 8] [1, 1, 1] : memref<8x256x8xf32> to memref<256x8xf32, strided<[8, 1], offset: ?>>
// CHECK:           memref.subview %[[BP]][%[[N1]], %{{.*}}, 0] [1, 256, 32] [1, 1, 1] : memref<16x256x32xf32> to memref<256x32xf32, strided<[32, 1], offset: ?>>
// CHECK:           memref.subview %arg2[%{{.*}}, %{{.*}}] [8, 32] [1, 1]
// CHECK-COUNT-16:  memref.prefetch %arg2[%{{.*}}, %{{.*}}], write, locality<3>, data
// CHECK:           linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:             arith.mulf
// CHECK:             arith.addf
// CHECK:   spore.parallel_yield
// CHECK: memref.dealloc %[[AP]]
// CHECK: memref.dealloc %[[BP]]
// CHECK-NOT: linalg.matmul
func.func @plain(%a: memref<64x256xf32>, %b: memref<256x512xf32>,
                 %o: memref<64x512xf32>) {
  linalg.matmul ins(%a, %b : memref<64x256xf32>, memref<256x512xf32>)
                outs(%o : memref<64x512xf32>)
  return
}

// -----

// Transposed operands are packed by the same copies with the other
// permutation: A^T [256, 512] as [256, 64, 8] -> [64, 256, 8], B^T
// [128, 256] as [4, 32, 256] -> [4, 256, 32]. A has more rows: its 64
// panels are shared out.
// CHECK-LABEL: func.func @transposed
// CHECK: %[[AV:.*]] = memref.expand_shape %arg0 {{\[\[}}0], [1, 2]] output_shape [256, 64, 8]
// CHECK: linalg.transpose ins(%[[AV]] : memref<256x64x8xf32>) outs(%{{.*}} : memref<64x256x8xf32>) permutation = [1, 0, 2]
// CHECK: %[[BV:.*]] = memref.expand_shape %arg1 {{\[\[}}0, 1], [2]] output_shape [4, 32, 256]
// CHECK: linalg.transpose ins(%[[BV]] : memref<4x32x256xf32>) outs(%{{.*}} : memref<4x256x32xf32>) permutation = [0, 2, 1]
// CHECK: %[[N:.*]] = arith.constant 64 : i64
// CHECK: spore.parallel %[[N]]
func.func @transposed(%at: memref<256x512xf32>, %bt: memref<128x256xf32>,
                      %o: memref<512x128xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (k, m)>,
                                   affine_map<(m, n, k) -> (n, k)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%at, %bt : memref<256x512xf32>, memref<128x256xf32>)
      outs(%o : memref<512x128xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Left alone: too little work, rows or columns that are not whole
// register tiles, f64, and a batched product.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: memref.alloc
// CHECK-NOT: spore.parallel
// CHECK: linalg.matmul ins(%arg0, %arg1 : memref<32x64xf32>
// CHECK: linalg.matmul ins(%arg3, %arg4 : memref<100x512xf32>
// CHECK: linalg.matmul ins(%arg6, %arg7 : memref<128x512xf64>
// CHECK: linalg.batch_matmul
func.func @left_alone(%a0: memref<32x64xf32>, %b0: memref<64x128xf32>,
                      %o0: memref<32x128xf32>,
                      %a1: memref<100x512xf32>, %b1: memref<512x512xf32>,
                      %o1: memref<100x512xf32>,
                      %a2: memref<128x512xf64>, %b2: memref<512x512xf64>,
                      %o2: memref<128x512xf64>,
                      %a3: memref<4x128x512xf32>, %b3: memref<4x512x512xf32>,
                      %o3: memref<4x128x512xf32>) {
  linalg.matmul ins(%a0, %b0 : memref<32x64xf32>, memref<64x128xf32>)
                outs(%o0 : memref<32x128xf32>)
  linalg.matmul ins(%a1, %b1 : memref<100x512xf32>, memref<512x512xf32>)
                outs(%o1 : memref<100x512xf32>)
  linalg.matmul ins(%a2, %b2 : memref<128x512xf64>, memref<512x512xf64>)
                outs(%o2 : memref<128x512xf64>)
  linalg.batch_matmul ins(%a3, %b3 : memref<4x128x512xf32>, memref<4x512x512xf32>)
                      outs(%o3 : memref<4x128x512xf32>)
  return
}

// -----

// Rows that are two loops (a [2, 64, 256] activation times a [256, 512]
// weight) collapse to one matrix dimension, in A and in C.
// CHECK-LABEL: func.func @grouped_rows
// CHECK-DAG: %[[A:.*]] = memref.collapse_shape %arg0 {{\[\[}}0, 1], [2]] : memref<2x64x256xf32> into memref<128x256xf32>
// CHECK-DAG: %[[C:.*]] = memref.collapse_shape %arg2 {{\[\[}}0, 1], [2]] : memref<2x64x512xf32> into memref<128x512xf32>
// CHECK: memref.expand_shape %[[A]] {{\[\[}}0, 1], [2]] output_shape [16, 8, 256]
// CHECK: spore.parallel
// CHECK:   memref.subview %[[C]]
func.func @grouped_rows(%x: memref<2x64x256xf32>, %w: memref<256x512xf32>,
                        %o: memref<2x64x512xf32>) {
  linalg.generic {indexing_maps = [affine_map<(b, t, n, k) -> (b, t, k)>,
                                   affine_map<(b, t, n, k) -> (k, n)>,
                                   affine_map<(b, t, n, k) -> (b, t, n)>],
                  iterator_types = ["parallel", "parallel", "parallel",
                                    "reduction"]}
      ins(%x, %w : memref<2x64x256xf32>, memref<256x512xf32>)
      outs(%o : memref<2x64x512xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Rows whose loops are not together in A (A is [t, k, b]) stay unpacked.
// CHECK-LABEL: func.func @scattered_rows
// CHECK-NOT: spore.parallel
// CHECK: linalg.generic
func.func @scattered_rows(%x: memref<64x256x2xf32>, %w: memref<256x512xf32>,
                          %o: memref<2x64x512xf32>) {
  linalg.generic {indexing_maps = [affine_map<(b, t, n, k) -> (t, k, b)>,
                                   affine_map<(b, t, n, k) -> (k, n)>,
                                   affine_map<(b, t, n, k) -> (b, t, n)>],
                  iterator_types = ["parallel", "parallel", "parallel",
                                    "reduction"]}
      ins(%x, %w : memref<64x256x2xf32>, memref<256x512xf32>)
      outs(%o : memref<2x64x512xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// The fill of C just before the product moves into the steps of the first
// reduction slice (k1 = 0), as a fill of each tile just before its step;
// the other slices accumulate onto C. With one slice only, the tile's fill
// is right before the step, with no condition.
// CHECK-LABEL: func.func @filled
// CHECK-NOT: linalg.fill
// CHECK: spore.parallel
// CHECK: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK: scf.for %[[K1:.*]] = %[[ZERO]] to %{{.*}} step
// CHECK:   %[[TILE:.*]] = memref.subview %arg2
// CHECK:   %[[FIRST:.*]] = arith.cmpi eq, %[[K1]], %[[ZERO]]
// CHECK:   scf.if %[[FIRST]] {
// CHECK-NEXT: linalg.fill ins(%{{.*}} : f32) outs(%[[TILE]] :
// CHECK-NEXT: }
// CHECK-NEXT: linalg.generic {{.*}} outs(%[[TILE]] :
// CHECK: spore.parallel_yield
// CHECK-LABEL: func.func @filled_one_slice
// CHECK-NOT: linalg.fill
// CHECK: spore.parallel
// CHECK-NOT: scf.if
// CHECK: %[[TILE:.*]] = memref.subview %arg2
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[TILE]] :
// CHECK-NEXT: linalg.generic {{.*}} outs(%[[TILE]] :
func.func @filled(%a: memref<64x1024xf32>, %b: memref<1024x512xf32>,
                  %o: memref<64x512xf32>) attributes {spore.export = "filled"} {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%o : memref<64x512xf32>)
  linalg.matmul ins(%a, %b : memref<64x1024xf32>, memref<1024x512xf32>)
                outs(%o : memref<64x512xf32>)
  return
}
func.func @filled_one_slice(%a: memref<64x256xf32>, %b: memref<256x512xf32>,
                            %o: memref<64x512xf32>) attributes {spore.export = "filled_one_slice"} {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%o : memref<64x512xf32>)
  linalg.matmul ins(%a, %b : memref<64x256xf32>, memref<256x512xf32>)
                outs(%o : memref<64x512xf32>)
  return
}

// -----

// A copy into C just before the product goes into the first slice's tiles
// as the fill does: each tile of C is copied from the same tile of the
// source just before its step.
// CHECK-LABEL: func.func @copied
// CHECK-NOT: memref.copy
// CHECK: spore.parallel
// CHECK: %[[TILE:.*]] = memref.subview %arg3
// CHECK: %[[FROM:.*]] = memref.subview %arg2
// CHECK-NEXT: linalg.copy ins(%[[FROM]] : {{.*}}) outs(%[[TILE]] :
// CHECK-NEXT: linalg.generic {{.*}} outs(%[[TILE]] :
// CHECK-NOT: memref.copy
func.func @copied(%a: memref<64x256xf32>, %b: memref<256x512xf32>,
                  %p: memref<64x512xf32>, %o: memref<64x512xf32>) attributes {spore.export = "copied"} {
  memref.copy %p, %o : memref<64x512xf32> to memref<64x512xf32>
  linalg.matmul ins(%a, %b : memref<64x256xf32>, memref<256x512xf32>)
                outs(%o : memref<64x512xf32>)
  return
}
