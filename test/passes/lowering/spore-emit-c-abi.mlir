// RUN: spore-opt %s -verify-each --spore-emit-c-abi=prefix=m | FileCheck %s

// An export gets the C entry point and the packed entry point; the
// implementation and every other defined function become internal. No
// result buffer may overlap another buffer: every pointer is noalias.
// CHECK-LABEL: llvm.func internal @__spore_f(%{{.*}}: !llvm.ptr {llvm.noalias}, %{{.*}}: !llvm.ptr {llvm.noalias})
// CHECK-LABEL: llvm.func @m_f(%{{.*}}: !llvm.ptr {llvm.noalias}, %{{.*}}: !llvm.ptr {llvm.noalias}) -> i32
// CHECK: llvm.call @__spore_f
// CHECK: llvm.return %{{.*}} : i32
// CHECK-LABEL: llvm.func @__spore_packed_m_f(%{{.*}}: !llvm.ptr) -> i32
// CHECK-COUNT-2: llvm.load
// CHECK: llvm.call @m_f
// CHECK-LABEL: llvm.func internal @__spore_helper
llvm.func @__spore_f(%a: !llvm.ptr, %out: !llvm.ptr) attributes {spore.export = "f"} {
  llvm.call @__spore_helper() : () -> ()
  llvm.return
}
llvm.func @__spore_helper() {
  llvm.return
}

// A function with more than 64 KiB of stack buffers is not inlined by
// LLVM: each function's buffers fit the stack budget, their sum might not.
// CHECK-LABEL: llvm.func internal @__spore_big_frame
// CHECK-SAME: no_inline
// CHECK-LABEL: llvm.func internal @__spore_small_frame
// CHECK-NOT: no_inline
// CHECK: llvm.return
llvm.func @__spore_big_frame() {
  %c = llvm.mlir.constant(1 : i64) : i64
  %0 = llvm.alloca %c x !llvm.array<65536 x f32> : (i64) -> !llvm.ptr
  llvm.return
}
llvm.func @__spore_small_frame() {
  %c = llvm.mlir.constant(1 : i64) : i64
  %0 = llvm.alloca %c x !llvm.array<16 x f32> : (i64) -> !llvm.ptr
  llvm.return
}
