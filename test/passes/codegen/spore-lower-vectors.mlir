// RUN: spore-opt %s -verify-each --pass-pipeline="builtin.module(func.func(spore-lower-vectors))" | FileCheck %s

// The accumulator is read before the reduction loop, carried in registers
// and written after it; the contraction becomes broadcasts and FMAs.
// CHECK-LABEL: func.func @tile
// CHECK: vector.transfer_read {{.*}} : memref<16x32xf32>, vector<2x32xf32>
// CHECK: scf.for {{.*}} iter_args
// CHECK-NOT: vector.contract
// CHECK: vector.fma {{.*}} : vector<32xf32>
// CHECK: vector.fma {{.*}} : vector<32xf32>
// CHECK: scf.yield
// CHECK: vector.transfer_write {{.*}} : vector<2x32xf32>, memref<16x32xf32>
func.func @tile(%a: memref<2x64xf32>, %b: memref<64x32xf32>, %c: memref<16x32xf32>, %i: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  scf.for %k = %c0 to %c64 step %c1 {
    %va = vector.transfer_read %a[%c0, %k], %zero {in_bounds = [true, true]} : memref<2x64xf32>, vector<2x1xf32>
    %vb = vector.transfer_read %b[%k, %c0], %zero {in_bounds = [true, true]} : memref<64x32xf32>, vector<1x32xf32>
    %vc = vector.transfer_read %c[%i, %c0], %zero {in_bounds = [true, true]} : memref<16x32xf32>, vector<2x32xf32>
    %r = vector.contract {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                          iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>}
         %va, %vb, %vc : vector<2x1xf32>, vector<1x32xf32> into vector<2x32xf32>
    vector.transfer_write %r, %c[%i, %c0] {in_bounds = [true, true]} : vector<2x32xf32>, memref<16x32xf32>
  }
  return
}

// The same when the accumulator's buffer is reshaped after the loop (the Q,
// K and V projections, split into heads), which upstream's hoisting
// refuses.
// CHECK-LABEL: func.func @viewed_later
// CHECK: %[[ACC:.*]] = memref.alloc
// CHECK: vector.transfer_read %[[ACC]]
// CHECK: scf.for {{.*}} iter_args
// CHECK: scf.yield
// CHECK: vector.transfer_write {{.*}}, %[[ACC]]
// CHECK: memref.expand_shape %[[ACC]]
func.func @viewed_later(%a: memref<2x64xf32>, %b: memref<64x32xf32>, %i: index) -> memref<2x2x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<2x32xf32>
  scf.for %k = %c0 to %c64 step %c1 {
    %va = vector.transfer_read %a[%c0, %k], %zero {in_bounds = [true, true]} : memref<2x64xf32>, vector<2x1xf32>
    %vb = vector.transfer_read %b[%k, %c0], %zero {in_bounds = [true, true]} : memref<64x32xf32>, vector<1x32xf32>
    %vc = vector.transfer_read %c[%c0, %c0], %zero {in_bounds = [true, true]} : memref<2x32xf32>, vector<2x32xf32>
    %r = vector.contract {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                          iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>}
         %va, %vb, %vc : vector<2x1xf32>, vector<1x32xf32> into vector<2x32xf32>
    vector.transfer_write %r, %c[%c0, %c0] {in_bounds = [true, true]} : vector<2x32xf32>, memref<2x32xf32>
  }
  %heads = memref.expand_shape %c [[0], [1, 2]] output_shape [2, 2, 16] : memref<2x32xf32> into memref<2x2x16xf32>
  return %heads : memref<2x2x16xf32>
}

// Not when the loop reads the accumulator's buffer another way: the
// read-modify-write stays in the loop.
// CHECK-LABEL: func.func @read_elsewhere
// CHECK: scf.for {{.*}} -> (f32) {
// CHECK: vector.transfer_read %arg2
// CHECK: memref.load %arg2
// CHECK: vector.transfer_write {{.*}}, %arg2
// CHECK: scf.yield %{{.*}} : f32
func.func @read_elsewhere(%a: memref<2x64xf32>, %b: memref<64x32xf32>, %c: memref<2x32xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %s = scf.for %k = %c0 to %c64 step %c1 iter_args(%acc = %zero) -> (f32) {
    %va = vector.transfer_read %a[%c0, %k], %zero {in_bounds = [true, true]} : memref<2x64xf32>, vector<2x1xf32>
    %vb = vector.transfer_read %b[%k, %c0], %zero {in_bounds = [true, true]} : memref<64x32xf32>, vector<1x32xf32>
    %vc = vector.transfer_read %c[%c0, %c0], %zero {in_bounds = [true, true]} : memref<2x32xf32>, vector<2x32xf32>
    %x = memref.load %c[%c1, %c1] : memref<2x32xf32>
    %r = vector.contract {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                          iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>}
         %va, %vb, %vc : vector<2x1xf32>, vector<1x32xf32> into vector<2x32xf32>
    vector.transfer_write %r, %c[%c0, %c0] {in_bounds = [true, true]} : vector<2x32xf32>, memref<2x32xf32>
    %sum = arith.addf %acc, %x : f32
    scf.yield %sum : f32
  }
  return %s : f32
}

// A tile written just before the reduction loop (the fill that
// spore-vectorize-contractions gives each tile of a filled output) is the
// accumulator's start: no read of C, and that write goes, since the one
// after the loop overwrites it. A write elsewhere is left alone. (The
// function is exported: its buffers are distinct, so the loop's reads of A
// and B cannot see C.)
// CHECK-LABEL: func.func @started
// CHECK-SAME: (%{{.*}}: memref<2x64xf32>, %{{.*}}: memref<64x32xf32>, %[[C:.*]]: memref<16x32xf32>, %[[I:.*]]: index, %[[J:.*]]: index)
// CHECK: %[[ZEROS:.*]] = arith.constant dense<0.000000e+00> : vector<2x32xf32>
// CHECK-NOT: vector.transfer_write
// CHECK: %[[SUM:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[ZEROS]])
// CHECK-NOT: vector.transfer_read {{.*}} memref<16x32xf32>
// CHECK: scf.yield
// CHECK: vector.transfer_write %[[SUM]], %[[C]][%[[I]], %{{.*}}]
// CHECK: vector.transfer_write %[[ZEROS]], %[[C]][%[[J]], %{{.*}}]
// CHECK: %[[OLD:.*]] = vector.transfer_read %[[C]][%[[I]], %{{.*}}]
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[OLD]])
func.func @started(%a: memref<2x64xf32>, %b: memref<64x32xf32>, %c: memref<16x32xf32>, %i: index, %j: index) attributes {spore.export = "started"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %zeros = arith.constant dense<0.0> : vector<2x32xf32>
  vector.transfer_write %zeros, %c[%i, %c0] {in_bounds = [true, true]} : vector<2x32xf32>, memref<16x32xf32>
  scf.for %k = %c0 to %c64 step %c1 {
    %va = vector.transfer_read %a[%c0, %k], %zero {in_bounds = [true, true]} : memref<2x64xf32>, vector<2x1xf32>
    %vb = vector.transfer_read %b[%k, %c0], %zero {in_bounds = [true, true]} : memref<64x32xf32>, vector<1x32xf32>
    %vc = vector.transfer_read %c[%i, %c0], %zero {in_bounds = [true, true]} : memref<16x32xf32>, vector<2x32xf32>
    %r = vector.contract {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                          iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>}
         %va, %vb, %vc : vector<2x1xf32>, vector<1x32xf32> into vector<2x32xf32>
    vector.transfer_write %r, %c[%i, %c0] {in_bounds = [true, true]} : vector<2x32xf32>, memref<16x32xf32>
  }
  vector.transfer_write %zeros, %c[%j, %c0] {in_bounds = [true, true]} : vector<2x32xf32>, memref<16x32xf32>
  scf.for %k = %c0 to %c64 step %c1 {
    %va = vector.transfer_read %a[%c0, %k], %zero {in_bounds = [true, true]} : memref<2x64xf32>, vector<2x1xf32>
    %vb = vector.transfer_read %b[%k, %c0], %zero {in_bounds = [true, true]} : memref<64x32xf32>, vector<1x32xf32>
    %vc = vector.transfer_read %c[%i, %c0], %zero {in_bounds = [true, true]} : memref<16x32xf32>, vector<2x32xf32>
    %r = vector.contract {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                          iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>}
         %va, %vb, %vc : vector<2x1xf32>, vector<1x32xf32> into vector<2x32xf32>
    vector.transfer_write %r, %c[%i, %c0] {in_bounds = [true, true]} : vector<2x32xf32>, memref<16x32xf32>
  }
  return
}
