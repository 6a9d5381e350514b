// RUN: spore-opt %s -split-input-file -verify-each --spore-emit-c-abi=prefix=m | FileCheck %s

// A module that can fail at run time (it calls spore_fail_code): the entry
// point runs the export on one staging block (results at 64-byte aligned
// offsets) and copies the results to the caller's buffers only when the
// call succeeded; a failed allocation of the block is SPORE_ERROR_MEMORY.
// CHECK-LABEL: llvm.func @m_f(
// CHECK-SAME: %[[X:.*]]: !llvm.ptr {llvm.noalias}, %[[O0:.*]]: !llvm.ptr {llvm.noalias}, %[[O1:.*]]: !llvm.ptr {llvm.noalias}) -> i32
// CHECK: %[[ALIGN:.*]] = llvm.mlir.constant(64 : i64)
// CHECK: %[[TOTAL:.*]] = llvm.mlir.constant(192 : i64)
// CHECK: %[[BLOCK:.*]] = llvm.call @spore_aligned_alloc(%[[ALIGN]], %[[TOTAL]])
// CHECK: llvm.cond_br
// CHECK: llvm.mlir.constant(4 : i32)
// CHECK: llvm.return
// CHECK: %[[S0:.*]] = llvm.getelementptr %[[BLOCK]][0]
// CHECK: %[[S1:.*]] = llvm.getelementptr %[[BLOCK]][128]
// CHECK: llvm.call @__spore_f(%[[X]], %[[S0]], %[[S1]])
// CHECK: %[[CHECKED:.*]] = llvm.call @spore_take_status()
// CHECK: %[[STATUS:.*]] = llvm.select %{{.*}}, %{{.*}}, %[[CHECKED]]
// CHECK: llvm.cond_br
// CHECK: "llvm.intr.memcpy"(%[[O0]], %[[S0]]
// CHECK: "llvm.intr.memcpy"(%[[O1]], %[[S1]]
// CHECK: llvm.call @spore_free(%[[BLOCK]])
// CHECK: llvm.return %[[STATUS]] : i32
llvm.func @spore_fail_code(i32)
llvm.func @__spore_f(%x: !llvm.ptr, %o0: !llvm.ptr, %o1: !llvm.ptr) attributes {spore.export = "f", spore.result_bytes = array<i64: 100, 4>} {
  %c = llvm.mlir.constant(6 : i32) : i32
  llvm.call @spore_fail_code(%c) : (i32) -> ()
  llvm.return
}

// -----

// An export whose code allocates heap buffers (here through a callee) runs
// it through spore_call_guarded, with
// the arguments in a frame that an internal trampoline unpacks: a failed
// allocation unwinds the call, whose status is then the guard's; the
// results are staged as for a check.
// CHECK-LABEL: llvm.func internal @__spore_g.guarded(
// CHECK-SAME: %[[FRAME:.*]]: !llvm.ptr)
// CHECK: %[[A0:.*]] = llvm.load
// CHECK: %[[A1:.*]] = llvm.load
// CHECK: llvm.call @__spore_g(%[[A0]], %[[A1]])
// CHECK-LABEL: llvm.func @m_g(
// CHECK: %[[BLOCK:.*]] = llvm.call @spore_aligned_alloc
// CHECK: %[[ARGS:.*]] = llvm.alloca %{{.*}} x !llvm.ptr
// CHECK-COUNT-2: llvm.store
// CHECK: %[[TRAMPOLINE:.*]] = llvm.mlir.addressof @__spore_g.guarded
// CHECK: %[[GUARD:.*]] = llvm.call @spore_call_guarded(%[[TRAMPOLINE]], %[[ARGS]])
// CHECK: %[[CHECKED:.*]] = llvm.call @spore_take_status()
// CHECK: %[[FAILED:.*]] = llvm.icmp "ne" %[[GUARD]]
// CHECK: llvm.select %[[FAILED]], %[[GUARD]], %[[CHECKED]]
// CHECK: "llvm.intr.memcpy"
// An export that neither checks nor allocates, in the same module, calls
// its code directly and writes its results in place.
// CHECK-LABEL: llvm.func @m_h(
// CHECK-NEXT: llvm.call @__spore_h(
// CHECK-NEXT: llvm.mlir.constant(0 : i32)
// CHECK-NEXT: llvm.return
llvm.func @spore_buffer_alloc_at(i64, !llvm.ptr) -> !llvm.ptr
llvm.mlir.global internal constant @__spore_site_0("m.py:1:1\00")
llvm.func @__spore_g(%x: !llvm.ptr, %o: !llvm.ptr) attributes {spore.export = "g", spore.result_bytes = array<i64: 16>} {
  llvm.call @__spore_alloc() : () -> ()
  llvm.return
}
llvm.func @__spore_alloc() {
  %n = llvm.mlir.constant(1024 : i64) : i64
  %site = llvm.mlir.addressof @__spore_site_0 : !llvm.ptr
  %p = llvm.call @spore_buffer_alloc_at(%n, %site) : (i64, !llvm.ptr) -> !llvm.ptr
  llvm.return
}
llvm.func @__spore_h(%x: !llvm.ptr, %o: !llvm.ptr) attributes {spore.export = "h", spore.result_bytes = array<i64: 16>} {
  llvm.return
}
