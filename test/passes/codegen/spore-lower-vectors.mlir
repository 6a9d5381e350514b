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
