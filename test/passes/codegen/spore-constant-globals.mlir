// RUN: spore-opt %s --spore-constant-globals | FileCheck %s
// RUN: spore-opt %s --spore-constant-globals --one-shot-bufferize=bufferize-function-boundaries | FileCheck %s --check-prefix=BUFFERS

// Tensor constants get their globals in program order, one per value;
// bufferisation then reuses them rather than making its own.
// CHECK: memref.global "private" constant @__constant_2xf32_0 : memref<2xf32> = dense<[3.000000e+00, 4.000000e+00]> {alignment = 64 : i64}
// CHECK: memref.global "private" constant @__constant_2xf32 : memref<2xf32> = dense<[1.000000e+00, 2.000000e+00]> {alignment = 64 : i64}
// CHECK-NOT: memref.global
// CHECK-LABEL: func.func @first
// CHECK-NEXT: arith.constant dense<[1.000000e+00, 2.000000e+00]>

// BUFFERS-COUNT-2: memref.global
// BUFFERS-NOT: memref.global
// BUFFERS-LABEL: func.func @first
// BUFFERS: memref.get_global @__constant_2xf32 :
// BUFFERS-LABEL: func.func @second
// BUFFERS: memref.get_global @__constant_2xf32_0 :
// BUFFERS: memref.get_global @__constant_2xf32 :
func.func @first() -> tensor<2xf32> {
  %c = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  return %c : tensor<2xf32>
}
func.func @second() -> (tensor<2xf32>, tensor<2xf32>, f32) {
  %c = arith.constant dense<[3.0, 4.0]> : tensor<2xf32>
  %d = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %s = arith.constant 1.0 : f32
  return %c, %d, %s : tensor<2xf32>, tensor<2xf32>, f32
}
