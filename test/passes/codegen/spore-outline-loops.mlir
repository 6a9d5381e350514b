// RUN: spore-opt %s --split-input-file --spore-outline-loops="min-nests=3" | FileCheck %s

// In a function with at least min-nests loop nests, each nest becomes a
// call of a no_inline function of the values it reads from outside;
// constants are copied in. The first and third nests differ only in their
// buffers and share one function. A nest with a scalar result returns it.
// CHECK-LABEL: func.func private @f.loop0(
// CHECK-SAME: %[[X:.*]]: memref<16xf32>, %[[Y:.*]]: memref<16xf32>)
// CHECK-SAME: attributes {no_inline, spore.no_inline}
// CHECK-DAG: arith.constant 2.0
// CHECK-DAG: arith.constant 16 : index
// CHECK: scf.for
// CHECK: memref.load %[[X]]
// CHECK: memref.store %{{.*}}, %[[Y]]
// CHECK-NOT: scf.for
// CHECK: return
// CHECK-LABEL: func.func private @f.loop1(
// CHECK-SAME: %{{.*}}: f32, %{{.*}}: memref<16xf32>) -> f32
// CHECK: scf.for {{.*}} iter_args
// CHECK-NOT: @f.loop2(
// CHECK-LABEL: func.func @f(
// CHECK-SAME: %[[A:.*]]: memref<16xf32>, %[[B:.*]]: memref<16xf32>, %[[C:.*]]: memref<16xf32>, %[[S:.*]]: f32
// CHECK-NOT: scf.for
// CHECK: call @f.loop0(%[[A]], %[[B]])
// CHECK: %[[SUM:.*]] = call @f.loop1(%[[S]], %[[B]])
// CHECK: call @f.loop0(%[[B]], %[[C]])
// CHECK: return %[[SUM]]
func.func @f(%a: memref<16xf32>, %b: memref<16xf32>, %c: memref<16xf32>,
             %s: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %two = arith.constant 2.0 : f32
  scf.for %i = %c0 to %c16 step %c1 {
    %v = memref.load %a[%i] : memref<16xf32>
    %w = arith.mulf %v, %two : f32
    memref.store %w, %b[%i] : memref<16xf32>
  }
  %sum = scf.for %i = %c0 to %c16 step %c1 iter_args(%acc = %s) -> (f32) {
    %v = memref.load %b[%i] : memref<16xf32>
    %n = arith.addf %acc, %v : f32
    scf.yield %n : f32
  }
  scf.for %i = %c0 to %c16 step %c1 {
    %v = memref.load %b[%i] : memref<16xf32>
    %w = arith.mulf %v, %two : f32
    memref.store %w, %c[%i] : memref<16xf32>
  }
  return %sum : f32
}

// -----

// A nest that reads a buffer of dynamic shape (which the bare-pointer
// convention cannot pass) stays; the others are outlined.
// CHECK-LABEL: func.func @dynamic(
// CHECK: call @dynamic.loop0
// CHECK: scf.for
// CHECK: memref.load %{{.*}} : memref<?xf32>
// CHECK: call @dynamic.loop0
func.func @dynamic(%a: memref<16xf32>, %d: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %one = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c16 step %c1 {
    memref.store %one, %a[%i] : memref<16xf32>
  }
  scf.for %i = %c0 to %c16 step %c1 {
    %v = memref.load %d[%i] : memref<?xf32>
    memref.store %v, %a[%i] : memref<16xf32>
  }
  scf.for %i = %c0 to %c16 step %c1 {
    memref.store %one, %a[%i] : memref<16xf32>
  }
  return
}

// -----

// A function with fewer nests than min-nests is left alone.
// CHECK-LABEL: func.func @short(
// CHECK-NOT: call
// CHECK-COUNT-2: scf.for
func.func @short(%a: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %one = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c16 step %c1 {
    memref.store %one, %a[%i] : memref<16xf32>
  }
  scf.for %i = %c0 to %c16 step %c1 {
    memref.store %one, %a[%i] : memref<16xf32>
  }
  return
}

// -----

// A buffer allocated by the caller and passed alone (no other argument is
// a view of it) is noalias in the outlined function, as LLVM knew of the
// allocation before; the caller's own arguments and a buffer passed along
// with a view of it are not.
// CHECK-LABEL: func.func private @fresh.loop0(
// CHECK-SAME: %{{.*}}: memref<16xf32>, %{{.*}}: memref<16xf32> {llvm.noalias})
// CHECK-LABEL: func.func private @fresh.loop1(
// CHECK-SAME: %{{.*}}: memref<16xf32>, %{{.*}}: memref<4x4xf32>)
// CHECK-LABEL: func.func private @fresh.loop2(
// CHECK-SAME: %{{.*}}: memref<16xf32> {llvm.noalias}, %{{.*}}: memref<16xf32>)
// CHECK-LABEL: func.func @fresh(
func.func @fresh(%a: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %t = memref.alloc() : memref<16xf32>
  scf.for %i = %c0 to %c16 step %c1 {
    %v = memref.load %a[%i] : memref<16xf32>
    memref.store %v, %t[%i] : memref<16xf32>
  }
  %view = memref.expand_shape %t [[0, 1]] output_shape [4, 4]
      : memref<16xf32> into memref<4x4xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %t[%i] : memref<16xf32>
    memref.store %v, %view[%i, %c0] : memref<4x4xf32>
  }
  scf.for %i = %c0 to %c16 step %c1 {
    %v = memref.load %t[%i] : memref<16xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %a[%i] : memref<16xf32>
  }
  memref.dealloc %t : memref<16xf32>
  return
}
