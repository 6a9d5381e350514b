// RUN: spore-opt %s -split-input-file -verify-diagnostics --spore-runtime-buffers | FileCheck %s

// The lowered malloc and free of heap buffers become the runtime's cached
// allocator, each allocation with the source position of the op that
// needed it (for its out-of-memory error); other calls are left alone.
// CHECK-NOT: @malloc
// CHECK-DAG: llvm.mlir.global internal constant @__spore_site_0("m.py:3:7\00")
// Each buffer is new and aligned (SPORE_BUFFER_ALIGNMENT), as from malloc:
// LLVM then needs no run-time overlap checks between two buffers.
// CHECK-DAG: llvm.func @spore_buffer_alloc_at(i64, !llvm.ptr) -> (!llvm.ptr {llvm.align = 64 : i64, llvm.noalias})
// CHECK-DAG: llvm.func @spore_buffer_free(!llvm.ptr)
// CHECK-LABEL: llvm.func @f
// CHECK: %[[SITE:.*]] = llvm.mlir.addressof @__spore_site_0
// CHECK: llvm.call @spore_buffer_alloc_at(%arg0, %[[SITE]])
// CHECK: llvm.call @memset
// CHECK: llvm.call @spore_buffer_free
module {
  llvm.func @malloc(i64) -> !llvm.ptr
  llvm.func @free(!llvm.ptr)
  llvm.func @memset(!llvm.ptr, i8, i64) -> !llvm.ptr
  llvm.func @f(%n: i64, %v: i8) {
    %p = llvm.call @malloc(%n) : (i64) -> !llvm.ptr loc("/some/dir/m.py":3:7)
    %q = llvm.call @memset(%p, %v, %n) : (!llvm.ptr, i8, i64) -> !llvm.ptr
    llvm.call @free(%p) : (!llvm.ptr) -> ()
    llvm.return
  }
}

// -----

// A module that defines malloc itself is not rerouted.
module {
  // expected-error @+1 {{'malloc' is defined in the module}}
  llvm.func @malloc(%n: i64) -> !llvm.ptr {
    %0 = llvm.mlir.zero : !llvm.ptr
    llvm.return %0 : !llvm.ptr
  }
}

// -----

// expected-error @+1 {{'spore_buffer_free' is already declared}}
module {
  llvm.func @free(!llvm.ptr)
  llvm.func @spore_buffer_free(!llvm.ptr)
}

// -----

// Functions that call themselves (directly, or through each other) check
// the native stack at their entry, with the position of their definition;
// the others do not.
// CHECK-DAG: llvm.mlir.global internal constant @__spore_site_{{[0-9]+}}("m.py:1:5\00")
// CHECK-DAG: llvm.mlir.global internal constant @__spore_site_{{[0-9]+}}("m.py:5:5\00")
// CHECK-DAG: llvm.func @spore_stack_check(!llvm.ptr)
// CHECK-LABEL: llvm.func @ping
// CHECK-NEXT: llvm.mlir.addressof
// CHECK-NEXT: llvm.call @spore_stack_check(
// CHECK-LABEL: llvm.func @pong
// CHECK-NEXT: llvm.mlir.addressof
// CHECK-NEXT: llvm.call @spore_stack_check(
// CHECK-LABEL: llvm.func @caller
// CHECK-NOT: spore_stack_check
// CHECK: llvm.return
module {
  llvm.func @ping(%n: i64) {
    llvm.call @pong(%n) : (i64) -> ()
    llvm.return
  } loc("/some/dir/m.py":1:5)
  llvm.func @pong(%n: i64) {
    llvm.call @ping(%n) : (i64) -> ()
    llvm.return
  } loc("/some/dir/m.py":5:5)
  llvm.func @caller(%n: i64) {
    llvm.call @ping(%n) : (i64) -> ()
    llvm.return
  }
}
