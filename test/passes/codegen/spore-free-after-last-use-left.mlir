// RUN: spore-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(spore-free-after-last-use))' | FileCheck %s

// A buffer that an op frees already (memref.dealloc, memref.realloc) is
// left as it is: freeing it again would free it twice. (Upstream's
// deallocation refuses such input, hence this file apart.)
// CHECK-LABEL: func.func @freed
// CHECK: %[[A:.*]] = memref.alloc() : memref<4xf32>
// CHECK: %[[B:.*]] = memref.alloc() : memref<4xf32>
// CHECK: memref.dealloc %[[A]] : memref<4xf32>
// CHECK: memref.realloc %[[B]]
// CHECK-NOT: manual_deallocation
func.func @freed(%v: f32, %out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %a = memref.alloc() : memref<4xf32>
  %b = memref.alloc() : memref<4xf32>
  memref.store %v, %a[%c0] : memref<4xf32>
  memref.dealloc %a : memref<4xf32>
  %r = memref.realloc %b : memref<4xf32> to memref<8xf32>
  memref.copy %r, %out : memref<8xf32> to memref<8xf32>
  return
}

// -----

// A pointer taken out of the buffer as an integer may outlive any use of
// the buffer: left alone.
// CHECK-LABEL: func.func @pointer
// CHECK: memref.alloc() : memref<4xf32>
// CHECK-NOT: memref.dealloc
func.func @pointer() -> index {
  %a = memref.alloc() : memref<4xf32>
  %p = memref.extract_aligned_pointer_as_index %a : memref<4xf32> -> index
  return %p : index
}
