// RUN: spore-opt %s -allow-unregistered-dialect -split-input-file --pass-pipeline='builtin.module(func.func(spore-free-after-last-use))' | FileCheck %s
// RUN: spore-opt %s -allow-unregistered-dialect -split-input-file --pass-pipeline='builtin.module(func.func(spore-free-after-last-use),buffer-deallocation-pipeline)' | FileCheck %s --check-prefix=PIPE

// Each buffer is freed right after the last op of its block that uses it
// or a view of it; a use inside a loop keeps it until after the loop.
// CHECK-LABEL: func.func @straight_line
// CHECK: %[[A:.*]] = memref.alloc() {bufferization.manual_deallocation} : memref<4xf32>
// CHECK: %[[B:.*]] = memref.alloc() {bufferization.manual_deallocation} : memref<8xf32>
// CHECK: %[[V:.*]] = memref.subview %[[B]]
// CHECK-NEXT: memref.store %{{.*}}, %[[A]]
// CHECK-NEXT: memref.load %[[A]]
// CHECK-NEXT: memref.dealloc %[[A]] {bufferization.manual_deallocation}
// CHECK-NEXT: memref.store
// CHECK-NEXT: scf.for
// CHECK-NEXT: memref.load %[[V]]
// CHECK-NEXT: memref.store
// CHECK-NEXT: }
// CHECK-NEXT: memref.dealloc %[[B]] {bufferization.manual_deallocation}
// CHECK-NEXT: memref.store
// CHECK-NEXT: return
// The deallocation pipeline then adds nothing for them.
// PIPE-LABEL: func.func @straight_line
// PIPE-COUNT-2: memref.dealloc
// PIPE-NOT: memref.dealloc
// PIPE-NOT: bufferization.dealloc
// PIPE: return
func.func @straight_line(%n: index, %f: f32, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc() : memref<4xf32>
  %b = memref.alloc() : memref<8xf32>
  %v = memref.subview %b[2] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 2>>
  memref.store %f, %a[%c0] : memref<4xf32>
  %x = memref.load %a[%c1] : memref<4xf32>
  memref.store %x, %out[] : memref<f32>
  scf.for %i = %c0 to %n step %c1 {
    %y = memref.load %v[%i] : memref<4xf32, strided<[1], offset: 2>>
    memref.store %y, %out[] : memref<f32>
  }
  memref.store %f, %out[] : memref<f32>
  return
}

// -----

// A buffer returned, or yielded out of the loop body it was made in, is
// left to upstream. A buffer used only inside
// the iteration is freed there.
// CHECK-LABEL: func.func @escaping
// CHECK: scf.for
// CHECK-NEXT: %[[T:.*]] = memref.alloc() {bufferization.manual_deallocation} : memref<2xf32>
// CHECK-NEXT: memref.store %{{.*}}, %[[T]]
// CHECK-NEXT: memref.dealloc %[[T]] {bufferization.manual_deallocation}
// CHECK-NEXT: memref.alloc() : memref<3xf32>
// CHECK: scf.yield
// CHECK: memref.alloc() : memref<5xf32>
// CHECK-NEXT: return
func.func @escaping(%n: index, %init: memref<3xf32>, %v: f32) -> memref<5xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%x = %init) -> memref<3xf32> {
    %t = memref.alloc() : memref<2xf32>
    memref.store %v, %t[%c0] : memref<2xf32>
    %y = memref.alloc() : memref<3xf32>
    scf.yield %y : memref<3xf32>
  }
  %out = memref.alloc() : memref<5xf32>
  return %out : memref<5xf32>
}

// -----

// A buffer that enters a loop as its initial state may come out as the
// loop's result: it lives until the result's last use.
// CHECK-LABEL: func.func @carried
// CHECK: %[[A:.*]] = memref.alloc() {bufferization.manual_deallocation} : memref<3xf32>
// CHECK: %[[R:.*]] = scf.for
// CHECK: memref.load %[[R]]
// CHECK-NEXT: memref.dealloc %[[A]] {bufferization.manual_deallocation}
// CHECK-NEXT: memref.store
func.func @carried(%n: index, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc() : memref<3xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%x = %a) -> memref<3xf32> {
    scf.yield %x : memref<3xf32>
  }
  %z = memref.load %r[%c0] : memref<3xf32>
  memref.store %z, %out[] : memref<f32>
  memref.store %z, %out[] : memref<f32>
  return
}
