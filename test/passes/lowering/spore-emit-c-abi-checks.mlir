// RUN: spore-opt %s -verify-each --spore-emit-c-abi=prefix=m | FileCheck %s

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
// CHECK: %[[STATUS:.*]] = llvm.call @spore_take_status()
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
