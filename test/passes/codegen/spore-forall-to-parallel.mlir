// RUN: spore-opt %s -verify-each -split-input-file --pass-pipeline='builtin.module(func.func(spore-forall-to-parallel))' | FileCheck %s

// An outermost forall becomes a spore.parallel over its linearised
// iterations (3 x 4 = 12); the body runs a range of them, the last
// dimension fastest.
// CHECK-LABEL: func.func @two_dims
// CHECK: %[[N:.*]] = arith.constant 12 : i64
// CHECK: spore.parallel %[[N]] {
// CHECK: ^bb0(%[[B:.*]]: i64, %[[E:.*]]: i64):
// CHECK:   %[[BI:.*]] = arith.index_cast %[[B]] : i64 to index
// CHECK:   %[[EI:.*]] = arith.index_cast %[[E]] : i64 to index
// CHECK:   scf.for %[[L:.*]] = %[[BI]] to %[[EI]] step
// CHECK:     %[[J:.*]] = arith.remui %[[L]], %[[FOUR:.*]] : index
// CHECK:     %[[I:.*]] = arith.divui %[[L]], %[[FOUR]] : index
// CHECK:     memref.store %{{.*}}, %arg0[%[[I]], %[[J]]]
// CHECK:   spore.parallel_yield
// CHECK-NOT: scf.forall
func.func @two_dims(%o: memref<3x4xf32>, %v: f32) {
  scf.forall (%i, %j) in (3, 4) {
    memref.store %v, %o[%i, %j] : memref<3x4xf32>
  }
  return
}

// -----

// A forall nested in another runs serially inside the parallel body.
// CHECK-LABEL: func.func @nested
// CHECK: spore.parallel
// CHECK:   scf.for
// CHECK:     scf.for
// CHECK-NOT: spore.parallel {
// CHECK-NOT: scf.forall
func.func @nested(%o: memref<8x8xf32>, %v: f32) {
  scf.forall (%i) in (8) {
    scf.forall (%j) in (8) {
      memref.store %v, %o[%i, %j] : memref<8x8xf32>
    }
  }
  return
}

// -----

// A body that allocates on the heap or calls a function could fail, and a
// worker thread cannot unwind to the entry point: serial loops.
// CHECK-LABEL: func.func @may_fail
// CHECK-NOT: spore.parallel {
// CHECK: scf.for
// CHECK: memref.alloc
// CHECK: scf.for
// CHECK: func.call @g
func.func private @g(index)
func.func @may_fail(%o: memref<8xf32>) {
  scf.forall (%i) in (8) {
    %t = memref.alloc() : memref<1000xf32>
    memref.dealloc %t : memref<1000xf32>
  }
  scf.forall (%i) in (8) {
    func.call @g(%i) : (index) -> ()
  }
  return
}

// -----

// Lower bounds and steps carry over: iterations (10 - 2 + 2) / 3 = 3.
// CHECK-LABEL: func.func @bounds
// CHECK: %[[N:.*]] = arith.constant 3 : i64
// CHECK: spore.parallel %[[N]]
// CHECK:   scf.for %[[L:.*]] = 
// CHECK:   %[[S:.*]] = arith.muli %[[L]], %c3
// CHECK:   %[[I:.*]] = arith.addi %[[S]], %c2
// CHECK:   memref.store %{{.*}}, %arg0[%[[I]]]
func.func @bounds(%o: memref<10xf32>, %v: f32) {
  scf.forall (%i) = (2) to (10) step (3) {
    memref.store %v, %o[%i] : memref<10xf32>
  }
  return
}
