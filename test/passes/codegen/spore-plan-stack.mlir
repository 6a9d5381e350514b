// RUN: spore-opt %s -allow-unregistered-dialect -split-input-file --pass-pipeline='builtin.module(func.func(spore-plan-stack{budget=1000}))' | FileCheck %s
// RUN: spore-opt %s -allow-unregistered-dialect -split-input-file --pass-pipeline='builtin.module(func.func(spore-plan-stack{budget=1000000}))' | FileCheck %s --check-prefix=LARGE

// In program order, buffers are marked while their sum, with the stack
// buffers already there, stays within the budget: 200 + 512 + 256 bytes
// fit in 1000, the next 64 would not, but the 16 after it still do. A
// dynamic shape is never marked.
// CHECK-LABEL: func.func @budget
// CHECK: memref.alloca() : memref<50xf32>
// CHECK: memref.alloc() {spore.stack} : memref<128xf32>
// CHECK: memref.alloc() {spore.stack} : memref<64xf32>
// CHECK: memref.alloc() : memref<16xf32>
// CHECK: memref.alloc() {spore.stack} : memref<4xf32>
// CHECK: memref.alloc(%{{.*}}) : memref<?xf32>
func.func @budget(%n: index) {
  %s = memref.alloca() : memref<50xf32>
  %a = memref.alloc() : memref<128xf32>
  %b = memref.alloc() : memref<64xf32>
  %c = memref.alloc() : memref<16xf32>
  %d = memref.alloc() : memref<4xf32>
  %e = memref.alloc(%n) : memref<?xf32>
  "test.use"(%s, %a, %b, %c, %d, %e) : (memref<50xf32>, memref<128xf32>, memref<64xf32>, memref<16xf32>, memref<4xf32>, memref<?xf32>) -> ()
  return
}

// -----

// A buffer yielded to the next iteration of a loop, or returned, needs more
// than one slot per call: not marked. One used only inside the iteration
// is.
// CHECK-LABEL: func.func @loops
// CHECK: memref.alloc() {spore.stack} : memref<2xf32>
// CHECK: memref.alloc() : memref<3xf32>
// CHECK: memref.alloc() : memref<5xf32>
func.func @loops(%n: index, %init: memref<3xf32>, %v: f32) -> memref<5xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%x = %init) -> memref<3xf32> {
    %t = memref.alloc() : memref<2xf32>
    memref.store %v, %t[%c0] : memref<2xf32>
    %y = memref.alloc() : memref<3xf32>
    memref.store %v, %y[%c0] : memref<3xf32>
    scf.yield %y : memref<3xf32>
  }
  %out = memref.alloc() : memref<5xf32>
  return %out : memref<5xf32>
}

// -----

// A function that calls itself has a frame per level: at most 16 KiB
// whatever the budget.
// LARGE-LABEL: func.func @recursive
// LARGE: memref.alloc() {spore.stack} : memref<4000xf32>
// LARGE: memref.alloc() : memref<200xf32>
// LARGE-LABEL: func.func @not_recursive
// LARGE: memref.alloc() {spore.stack} : memref<4000xf32>
// LARGE: memref.alloc() {spore.stack} : memref<200xf32>
func.func @recursive() attributes {spore.recursive} {
  %a = memref.alloc() : memref<4000xf32>
  %b = memref.alloc() : memref<200xf32>
  "test.use"(%a, %b) : (memref<4000xf32>, memref<200xf32>) -> ()
  return
}
func.func @not_recursive() {
  %a = memref.alloc() : memref<4000xf32>
  %b = memref.alloc() : memref<200xf32>
  "test.use"(%a, %b) : (memref<4000xf32>, memref<200xf32>) -> ()
  return
}
