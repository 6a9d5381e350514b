// RUN: spore-opt %s -allow-unregistered-dialect -verify-each -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(func.func(spore-hoist-allocas))' | FileCheck %s

// A buffer of a loop body, and one inside a branch of it, move to the entry
// block: one stack slot per call, not per iteration.
// CHECK-LABEL: func.func @loop_body
// CHECK-NEXT: %[[A:.*]] = memref.alloca() {alignment = 64 : i64} : memref<7xf64>
// CHECK-NEXT: %[[B:.*]] = memref.alloca() : memref<2xf64>
// CHECK-NOT: memref.alloca
// CHECK: scf.for
// CHECK: memref.store %{{.*}}, %[[A]]
func.func @loop_body(%n: index, %c: i1, %v: f64, %out: memref<f64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %a = memref.alloca() {alignment = 64 : i64} : memref<7xf64>
    memref.store %v, %a[%c0] : memref<7xf64>
    scf.if %c {
      %b = memref.alloca() : memref<2xf64>
      memref.store %v, %b[%c1] : memref<2xf64>
      %x = memref.load %b[%c1] : memref<2xf64>
      memref.store %x, %out[] : memref<f64>
    }
  }
  return
}

// -----

// A view of the buffer yielded out of a branch stays inside the iteration:
// still hoisted.
// CHECK-LABEL: func.func @view_through_branch
// CHECK-NEXT: memref.alloca() : memref<2x4xf32>
// CHECK: scf.while
func.func @view_through_branch(%n: i64, %c: i1, %out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %one = arith.constant 1 : i64
  %r = scf.while (%k = %n) : (i64) -> i64 {
    %more = arith.cmpi sgt, %k, %one : i64
    scf.condition(%more) %k : i64
  } do {
  ^bb0(%k: i64):
    %a = memref.alloca() : memref<2x4xf32>
    %row = scf.if %c -> memref<4xf32, strided<[1], offset: ?>> {
      %s = memref.subview %a[0, 0] [1, 4] [1, 1] : memref<2x4xf32> to memref<4xf32, strided<[1]>>
      %t = memref.cast %s : memref<4xf32, strided<[1]>> to memref<4xf32, strided<[1], offset: ?>>
      scf.yield %t : memref<4xf32, strided<[1], offset: ?>>
    } else {
      %s = memref.subview %a[1, 0] [1, 4] [1, 1] : memref<2x4xf32> to memref<4xf32, strided<[1], offset: 4>>
      %t = memref.cast %s : memref<4xf32, strided<[1], offset: 4>> to memref<4xf32, strided<[1], offset: ?>>
      scf.yield %t : memref<4xf32, strided<[1], offset: ?>>
    }
    memref.copy %row, %out : memref<4xf32, strided<[1], offset: ?>> to memref<4xf32>
    %next = arith.subi %k, %one : i64
    scf.yield %next : i64
  }
  return
}

// -----

// Each iteration of a parallel loop keeps its own buffer, at the start of
// the loop's body.
// CHECK-LABEL: func.func @parallel
// CHECK: scf.parallel
// CHECK-NEXT: memref.alloca() : memref<4xf32>
// CHECK: scf.if
func.func @parallel(%n: index, %c: i1, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.if %c {
      %a = memref.alloca() : memref<4xf32>
      memref.store %v, %a[%c0] : memref<4xf32>
    }
    scf.reduce
  }
  return
}

// -----

// A buffer carried to the next iteration cannot share one slot.
func.func @carried(%n: i64, %init: memref<4xf32>) {
  %one = arith.constant 1 : i64
  %r:2 = scf.while (%k = %n, %b = %init) : (i64, memref<4xf32>) -> (i64, memref<4xf32>) {
    %more = arith.cmpi sgt, %k, %one : i64
    scf.condition(%more) %k, %b : i64, memref<4xf32>
  } do {
  ^bb0(%k: i64, %b: memref<4xf32>):
    // expected-error @+1 {{a stack buffer inside a loop outlives its iteration, so the native stack would grow with the trip count}}
    %a = memref.alloca() : memref<4xf32>
    memref.copy %b, %a : memref<4xf32> to memref<4xf32>
    %next = arith.subi %k, %one : i64
    scf.yield %next, %a : i64, memref<4xf32>
  }
  return
}

// -----

// A run-time size cannot be reserved once at entry.
func.func @dynamic(%n: index, %m: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    // expected-error @+1 {{a stack buffer inside a loop has a size known only at run time, so the native stack would grow with the trip count}}
    %a = memref.alloca(%m) : memref<?xf32>
    "test.use"(%a) : (memref<?xf32>) -> ()
  }
  return
}
