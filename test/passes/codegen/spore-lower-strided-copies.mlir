// RUN: spore-opt %s -verify-each --pass-pipeline="builtin.module(func.func(spore-lower-strided-copies))" | FileCheck %s

// A copy out of a strided view becomes linalg.copy; a contiguous copy
// stays a memref.copy (a memcpy).
// CHECK-LABEL: func.func @copies
// CHECK: linalg.copy ins(%{{.*}} : memref<2x5xf32, strided<[10, 1], offset: 5>>) outs(%{{.*}} : memref<2x5xf32>)
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<8x5xf32> to memref<8x5xf32>
func.func @copies(%x: memref<8x5xf32>, %y: memref<2x5xf32>, %z: memref<8x5xf32>) {
  %v = memref.subview %x[1, 0] [2, 5] [2, 1] : memref<8x5xf32> to memref<2x5xf32, strided<[10, 1], offset: 5>>
  memref.copy %v, %y : memref<2x5xf32, strided<[10, 1], offset: 5>> to memref<2x5xf32>
  memref.copy %x, %z : memref<8x5xf32> to memref<8x5xf32>
  return
}
