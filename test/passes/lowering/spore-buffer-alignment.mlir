// RUN: spore-opt %s --spore-buffer-alignment | FileCheck %s
// RUN: spore-opt %s --spore-buffer-alignment --convert-to-llvm | FileCheck %s --check-prefix=LLVM

// The runtime's heap buffers are 64-byte aligned: an allocation of scalars
// that asks for 64 bytes or less needs no alignment of its own, one that
// asks for more keeps it, and so do buffers of vectors (which the lowering
// aligns to their element) and stack buffers.
// CHECK-LABEL: func.func @f
// CHECK: memref.alloc() : memref<1024xf32>
// CHECK: memref.alloc(%{{.*}}) : memref<?xi8>
// CHECK: memref.alloc() {alignment = 128 : i64} : memref<16xf32>
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<4xvector<16xf32>>
// CHECK: memref.alloca() {alignment = 64 : i64} : memref<16xf32>

// Lowered, the runtime's pointer is used as it is: no extra bytes, no
// rounding up by integer arithmetic (which hides from LLVM that the buffer
// is a new allocation).
// LLVM-LABEL: llvm.func @f
// LLVM: %[[P:.*]] = llvm.call @malloc(%{{.*}})
// LLVM-NOT: llvm.inttoptr
// LLVM: llvm.insertvalue %[[P]], %{{.*}}[0]
// LLVM-NEXT: llvm.insertvalue %[[P]], %{{.*}}[1]
// LLVM: llvm.call @malloc
func.func @f(%n: index) {
  %a = memref.alloc() {alignment = 64 : i64} : memref<1024xf32>
  %b = memref.alloc(%n) {alignment = 16 : i64} : memref<?xi8>
  %c = memref.alloc() {alignment = 128 : i64} : memref<16xf32>
  %d = memref.alloc() {alignment = 64 : i64} : memref<4xvector<16xf32>>
  %e = memref.alloca() {alignment = 64 : i64} : memref<16xf32>
  memref.dealloc %a : memref<1024xf32>
  memref.dealloc %b : memref<?xi8>
  memref.dealloc %c : memref<16xf32>
  memref.dealloc %d : memref<4xvector<16xf32>>
  return
}
