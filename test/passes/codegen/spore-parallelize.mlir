// RUN: spore-opt %s -verify-each -split-input-file --pass-pipeline='builtin.module(func.func(spore-parallelize))' | FileCheck %s
// RUN: spore-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(spore-parallelize{min-work=1 max-chunks=4}))' | FileCheck %s --check-prefix=SMALL

// A matrix product with more columns than rows splits its columns, in
// multiples of the 32-column register tile: 512 columns, 16 chunks of 32.
// CHECK-LABEL: func.func @wide_matmul
// CHECK: scf.forall (%[[C:.*]]) in (16) {
// CHECK:   %[[B:.*]] = memref.subview %arg1[0, %{{.*}}] [256, 32] [1, 1]
// CHECK:   %[[O:.*]] = memref.subview %arg2[0, %{{.*}}] [64, 32] [1, 1]
// CHECK:   linalg.matmul ins(%arg0, %[[B]] : memref<64x256xf32>, memref<256x32xf32, strided<[512, 1], offset: ?>>) outs(%[[O]]
// CHECK-NOT: linalg.matmul
func.func @wide_matmul(%a: memref<64x256xf32>, %b: memref<256x512xf32>,
                       %o: memref<64x512xf32>) {
  linalg.matmul ins(%a, %b : memref<64x256xf32>, memref<256x512xf32>)
                outs(%o : memref<64x512xf32>)
  return
}

// -----

// More rows than columns: the rows split, in multiples of 8.
// CHECK-LABEL: func.func @tall_matmul
// CHECK: scf.forall (%{{.*}}) in (16) {
// CHECK:   memref.subview %arg0[%{{.*}}, 0] [32, 256] [1, 1]
// CHECK:   memref.subview %arg2[%{{.*}}, 0] [32, 64] [1, 1]
func.func @tall_matmul(%a: memref<512x256xf32>, %b: memref<256x64xf32>,
                       %o: memref<512x64xf32>) {
  linalg.matmul ins(%a, %b : memref<512x256xf32>, memref<256x64xf32>)
                outs(%o : memref<512x64xf32>)
  return
}

// -----

// A batched product splits its batch.
// CHECK-LABEL: func.func @batched
// CHECK: scf.forall (%{{.*}}) in (4) {
// CHECK:   memref.subview %arg0[%{{.*}}, 0, 0] [1, 128, 64] [1, 1, 1]
func.func @batched(%a: memref<4x128x64xf32>, %b: memref<4x64x128xf32>,
                   %o: memref<4x128x128xf32>) {
  linalg.batch_matmul ins(%a, %b : memref<4x128x64xf32>, memref<4x64x128xf32>)
                      outs(%o : memref<4x128x128xf32>)
  return
}

// -----

// An elementwise op splits its outermost dimension; linalg.index counts
// from the chunk's start.
// CHECK-LABEL: func.func @elementwise
// CHECK: scf.forall (%[[C:.*]]) in (16) {
// CHECK:   memref.subview %arg0[%{{.*}}, 0] [64, 1024] [1, 1]
// CHECK:   linalg.generic
// CHECK:     %[[R:.*]] = linalg.index 0
// CHECK:     affine.apply #{{.*}}(%[[C]])[%[[R]]]
func.func @elementwise(%x: memref<1024x1024xf32>, %o: memref<1024x1024xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>,
                                   affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<1024x1024xf32>) outs(%o : memref<1024x1024xf32>) {
  ^bb0(%v: f32, %out: f32):
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i32
    %f = arith.sitofp %ii : i32 to f32
    %s = arith.addf %v, %f : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Small work stays whole; so does an op whose body calls out.
// CHECK-LABEL: func.func @small_and_calls
// CHECK-NOT: scf.forall
// SMALL-LABEL: func.func @small_and_calls
// SMALL: scf.forall (%{{.*}}) in (4) {
// SMALL:   linalg.copy
// SMALL-NOT: scf.forall
func.func private @f(f32) -> f32
func.func @small_and_calls(%x: memref<64x64xf32>, %o: memref<64x64xf32>,
                           %big: memref<1024x1024xf32>) {
  linalg.copy ins(%x : memref<64x64xf32>) outs(%o : memref<64x64xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      outs(%big : memref<1024x1024xf32>) {
  ^bb0(%out: f32):
    %r = func.call @f(%out) : (f32) -> f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A reduction splits only a parallel dimension.
// CHECK-LABEL: func.func @row_sums
// SMALL-LABEL: func.func @row_sums
// CHECK: scf.forall (%{{.*}}) in (16) {
// CHECK:   memref.subview %arg0[%{{.*}}, 0] [256, 1024] [1, 1]
// CHECK:   memref.subview %arg1[%{{.*}}] [256] [1]
func.func @row_sums(%x: memref<4096x1024xf32>, %o: memref<4096xf32>) {
  linalg.reduce ins(%x : memref<4096x1024xf32>) outs(%o : memref<4096xf32>)
      dimensions = [1]
  (%v: f32, %acc: f32) {
    %s = arith.addf %v, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// An op that reads its own output buffer elsewhere than where it writes
// (a shift in place) stays whole: chunks run in any order. An update in
// place at the same positions splits.
// CHECK-LABEL: func.func @in_place
// CHECK-NOT: scf.forall
// CHECK: linalg.generic
// CHECK: scf.forall
// CHECK: linalg.generic
// CHECK-NOT: scf.forall
func.func @in_place(%x: memref<1025x1024xf32>) {
  %from = memref.subview %x[1, 0] [1024, 1024] [1, 1]
      : memref<1025x1024xf32> to memref<1024x1024xf32, strided<[1024, 1], offset: 1024>>
  %to = memref.subview %x[0, 0] [1024, 1024] [1, 1]
      : memref<1025x1024xf32> to memref<1024x1024xf32, strided<[1024, 1]>>
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>,
                                   affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%from : memref<1024x1024xf32, strided<[1024, 1], offset: 1024>>)
      outs(%to : memref<1024x1024xf32, strided<[1024, 1]>>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>,
                                   affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%to : memref<1024x1024xf32, strided<[1024, 1]>>)
      outs(%to : memref<1024x1024xf32, strided<[1024, 1]>>) {
  ^bb0(%a: f32, %o: f32):
    %d = arith.addf %a, %a : f32
    linalg.yield %d : f32
  }
  return
}

// -----

// The fill of a product's output just before it goes into each chunk, next
// to the chunk's product (spore-vectorize-contractions then starts each
// register tile from the fill's value); it is not split on its own.
// CHECK-LABEL: func.func @filled_product
// CHECK-NOT: linalg.fill
// CHECK: scf.forall
// CHECK:   %[[OUT:.*]] = memref.subview %arg2
// CHECK:   linalg.fill ins(%{{.*}} : f32) outs(%[[OUT]] :
// CHECK:   linalg.matmul ins(%{{.*}}, %{{.*}} : {{.*}}) outs(%[[OUT]] :
// CHECK-NOT: linalg.fill
func.func @filled_product(%a: memref<1024x16xf32>, %b: memref<16x1024xf32>, %c: memref<1024x1024xf32>) attributes {spore.export = "filled_product"} {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<1024x1024xf32>)
  linalg.matmul ins(%a, %b : memref<1024x16xf32>, memref<16x1024xf32>) outs(%c : memref<1024x1024xf32>)
  return
}

// -----

// A copy into a product's output just before it goes into each chunk as
// the fill does: each chunk copies its part of the source.
// CHECK-LABEL: func.func @copied_product
// CHECK-NOT: memref.copy
// CHECK: scf.forall
// CHECK:   %[[OUT:.*]] = memref.subview %arg3
// CHECK:   %[[FROM:.*]] = memref.subview %arg2
// CHECK:   linalg.copy ins(%[[FROM]] : {{.*}}) outs(%[[OUT]] :
// CHECK:   linalg.matmul ins(%{{.*}}, %{{.*}} : {{.*}}) outs(%[[OUT]] :
// CHECK-NOT: memref.copy
func.func @copied_product(%a: memref<1024x16xf32>, %b: memref<16x1024xf32>, %p: memref<1024x1024xf32>, %c: memref<1024x1024xf32>) attributes {spore.export = "copied_product"} {
  memref.copy %p, %c : memref<1024x1024xf32> to memref<1024x1024xf32>
  linalg.matmul ins(%a, %b : memref<1024x16xf32>, memref<16x1024xf32>) outs(%c : memref<1024x1024xf32>)
  return
}
