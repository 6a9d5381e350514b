// RUN: spore-opt %s -verify-each --pass-pipeline='builtin.module(func.func(spore-arena-buffers))' | FileCheck %s

func.func private @use(memref<16x64xf32>)
func.func private @use2(memref<16x64xf32>, memref<16x64xf32>)
func.func private @flat(memref<1024xf32>)

// Buffers that only calls use share one allocation: %a and %b are live at
// once (4 KiB each, at 0 and 4096); %c and %d, each allocated after the
// one before is freed, reuse offset 0 (%d through a flat view that goes
// to a call). %e is read by a load: it keeps its own allocation.
// CHECK-LABEL: func.func @planned
// CHECK: %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<8192xi8>
// CHECK: %[[O1:.*]] = arith.constant 0 : index
// CHECK: %[[A:.*]] = memref.view %[[ARENA]][%[[O1]]][] : memref<8192xi8> to memref<16x64xf32>
// CHECK: %[[O2:.*]] = arith.constant 4096 : index
// CHECK: %[[B:.*]] = memref.view %[[ARENA]][%[[O2]]][] : memref<8192xi8> to memref<16x64xf32>
// CHECK: call @use2(%[[A]], %[[B]])
// CHECK: %[[O3:.*]] = arith.constant 0 : index
// CHECK: %[[C:.*]] = memref.view %[[ARENA]][%[[O3]]][] : memref<8192xi8> to memref<16x64xf32>
// CHECK: call @use(%[[C]])
// CHECK: %[[O4:.*]] = arith.constant 0 : index
// CHECK: %[[D:.*]] = memref.view %[[ARENA]][%[[O4]]][]
// CHECK: memref.collapse_shape %[[D]]
// CHECK: %[[E:.*]] = memref.alloc() : memref<16x64xf32>
// CHECK: memref.load %[[E]]
// CHECK: memref.dealloc %[[E]]
// CHECK-NOT: memref.dealloc %[[A]]
// CHECK: memref.dealloc %[[ARENA]]
// CHECK-NEXT: return
func.func @planned() -> f32 {
  %a = memref.alloc() : memref<16x64xf32>
  %b = memref.alloc() : memref<16x64xf32>
  call @use2(%a, %b) : (memref<16x64xf32>, memref<16x64xf32>) -> ()
  memref.dealloc %a : memref<16x64xf32>
  memref.dealloc %b : memref<16x64xf32>
  %c = memref.alloc() : memref<16x64xf32>
  call @use(%c) : (memref<16x64xf32>) -> ()
  memref.dealloc %c : memref<16x64xf32>
  %d = memref.alloc() : memref<16x64xf32>
  %f = memref.collapse_shape %d [[0, 1]] : memref<16x64xf32> into memref<1024xf32>
  call @flat(%f) : (memref<1024xf32>) -> ()
  memref.dealloc %d : memref<16x64xf32>
  %e = memref.alloc() : memref<16x64xf32>
  call @use(%e) : (memref<16x64xf32>) -> ()
  %i = arith.constant 0 : index
  %v = memref.load %e[%i, %i] : memref<16x64xf32>
  memref.dealloc %e : memref<16x64xf32>
  return %v : f32
}

// One such buffer is not worth an arena; a buffer freed in a nested
// region, or never, is not planned.
// CHECK-LABEL: func.func @alone
// CHECK-NOT: memref.view
// CHECK: memref.alloc() : memref<16x64xf32>
func.func @alone() {
  %a = memref.alloc() : memref<16x64xf32>
  call @use(%a) : (memref<16x64xf32>) -> ()
  memref.dealloc %a : memref<16x64xf32>
  %b = memref.alloc() : memref<16x64xf32>
  call @use(%b) : (memref<16x64xf32>) -> ()
  return
}

// A scalar buffer stored and loaded outside loops (the learning rate passed
// to each update) joins; one stored in a loop does not.
// CHECK-LABEL: func.func @scalars
// CHECK: %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4160xi8>
// CHECK: %[[S:.*]] = memref.view %[[ARENA]]{{.*}} to memref<f32>
// CHECK: memref.store %{{.*}}, %[[S]][]
// CHECK: %[[L:.*]] = memref.alloc() : memref<f32>
// CHECK: scf.for
// CHECK:   memref.store %{{.*}}, %[[L]][]
func.func private @scale(memref<f32>, memref<16x64xf32>)
func.func @scalars(%x: f32, %n: index) {
  %s = memref.alloc() : memref<f32>
  memref.store %x, %s[] : memref<f32>
  %b = memref.alloc() : memref<16x64xf32>
  call @scale(%s, %b) : (memref<f32>, memref<16x64xf32>) -> ()
  memref.dealloc %s : memref<f32>
  %l = memref.alloc() : memref<f32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    memref.store %x, %l[] : memref<f32>
  }
  call @scale(%l, %b) : (memref<f32>, memref<16x64xf32>) -> ()
  memref.dealloc %l : memref<f32>
  memref.dealloc %b : memref<16x64xf32>
  return
}
