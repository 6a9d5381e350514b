// RUN: spore-opt %s -verify-each -split-input-file -verify-diagnostics --spore-outline-parallel | FileCheck %s

// The body moves into an internal function of (context, begin, end); what
// it uses from outside travels in a struct on the caller's stack, and
// constants are made again inside.
// CHECK-LABEL: llvm.func internal @step_parallel(
// CHECK-SAME: %[[CTX:.*]]: !llvm.ptr, %[[B:.*]]: i64, %[[E:.*]]: i64)
// CHECK:   %[[F0:.*]] = llvm.getelementptr %[[CTX]][0, 0] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, f32)>
// CHECK:   %[[P:.*]] = llvm.load %[[F0]] : !llvm.ptr -> !llvm.ptr
// CHECK:   %[[F1:.*]] = llvm.getelementptr %[[CTX]][0, 1]
// CHECK:   %[[V:.*]] = llvm.load %[[F1]] : !llvm.ptr -> f32
// CHECK:   llvm.mlir.constant(2.000000e+00 : f32)
// CHECK:   llvm.getelementptr %[[P]][%[[B]]]
// CHECK:   llvm.return
// CHECK-LABEL: llvm.func @step(
// CHECK:   %[[ONE:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK:   %[[C:.*]] = llvm.alloca %[[ONE]] x !llvm.struct<(ptr, f32)>
// CHECK:   llvm.store %arg0, %{{.*}} : !llvm.ptr, !llvm.ptr
// CHECK:   llvm.store %arg1, %{{.*}} : f32, !llvm.ptr
// CHECK:   %[[FN:.*]] = llvm.mlir.addressof @step_parallel : !llvm.ptr
// CHECK:   llvm.call @spore_parallel_for(%[[FN]], %[[C]], %arg2) : (!llvm.ptr, !llvm.ptr, i64) -> ()
// CHECK-NOT: spore.parallel
// CHECK: llvm.func @spore_parallel_for(!llvm.ptr, !llvm.ptr, i64)
llvm.func @step(%p: !llvm.ptr, %v: f32, %n: i64) {
  %two = llvm.mlir.constant(2.0 : f32) : f32
  spore.parallel %n {
  ^bb0(%b: i64, %e: i64):
    %q = llvm.getelementptr %p[%b] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    %w = llvm.fmul %v, %two : f32
    llvm.store %w, %q : f32, !llvm.ptr
    spore.parallel_yield
  }
  llvm.return
}

// -----

// Ops of other dialects left in a body mean the conversion is not done.
llvm.func @unconverted(%n: i64) {
  spore.parallel %n {
  ^bb0(%b: i64, %e: i64):
    // expected-error @below {{is left in a spore.parallel body}}
    %c = arith.constant 0 : i64
    spore.parallel_yield
  }
  llvm.return
}

// -----

// Equal bodies (the packed kernels of two matrix products of one shape)
// become one function; a different body gets its own.
// CHECK-LABEL: llvm.func internal @twins_parallel(
// CHECK-NOT: llvm.func internal
// CHECK-LABEL: llvm.func @twins(
// CHECK-COUNT-2: llvm.mlir.addressof @twins_parallel :
// CHECK-LABEL: llvm.func internal @other_parallel(
// CHECK-LABEL: llvm.func @other(
// CHECK: llvm.mlir.addressof @other_parallel :
llvm.func @twins(%p: !llvm.ptr, %q: !llvm.ptr, %n: i64) {
  spore.parallel %n {
  ^bb0(%b: i64, %e: i64):
    %a = llvm.getelementptr %p[%b] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    %v = llvm.load %a : !llvm.ptr -> f32
    %w = llvm.fmul %v, %v : f32
    llvm.store %w, %a : f32, !llvm.ptr
    spore.parallel_yield
  }
  spore.parallel %n {
  ^bb0(%b: i64, %e: i64):
    %a = llvm.getelementptr %q[%b] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    %v = llvm.load %a : !llvm.ptr -> f32
    %w = llvm.fmul %v, %v : f32
    llvm.store %w, %a : f32, !llvm.ptr
    spore.parallel_yield
  }
  llvm.return
}
llvm.func @other(%p: !llvm.ptr, %n: i64) {
  spore.parallel %n {
  ^bb0(%b: i64, %e: i64):
    %a = llvm.getelementptr %p[%b] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    %v = llvm.load %a : !llvm.ptr -> f32
    %w = llvm.fadd %v, %v : f32
    llvm.store %w, %a : f32, !llvm.ptr
    spore.parallel_yield
  }
  llvm.return
}
