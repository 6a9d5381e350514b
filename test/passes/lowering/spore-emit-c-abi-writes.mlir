// RUN: spore-opt %s -verify-each --spore-emit-c-abi=prefix=m | FileCheck %s

// An export that updates the state (spore.state_writes, from
// spore-thread-state): its last out-parameters are not the caller's but
// spare buffers of the state, fetched by spore_state_spares (status 4 when
// they cannot be allocated); spore_state_commit swaps them in only when
// the call succeeded.
// CHECK: llvm.mlir.global internal constant @__spore_writes_m_step(dense<[0, 1]> : tensor<2xi64>)
// CHECK: llvm.func internal @__spore_step
// CHECK-NOT: spore.state_writes
// CHECK: llvm.func @m_step(%[[S:.*]]: !llvm.ptr, %[[X:.*]]: !llvm.ptr {llvm.noalias}, %[[OUT:.*]]: !llvm.ptr {llvm.noalias}) -> i32
// CHECK: llvm.call @spore_state_buffers(%[[S]]
// CHECK: %[[SLOTS:.*]] = llvm.mlir.addressof @__spore_writes_m_step
// CHECK: %[[SP:.*]] = llvm.call @spore_state_spares(%[[S]], %[[SLOTS]], %{{.*}})
// CHECK: llvm.icmp "eq" %[[SP]]
// CHECK: llvm.mlir.constant(4 : i32)
// CHECK: %[[A:.*]] = llvm.load
// CHECK: %[[B:.*]] = llvm.load
// CHECK: llvm.call @__spore_step(%{{.*}}, %{{.*}}, %[[X]], %[[OUT]], %[[A]], %[[B]])
// CHECK: llvm.cond_br
// CHECK: llvm.call @spore_state_commit(%[[S]], %[[SLOTS]], %{{.*}})
// CHECK-LABEL: llvm.func @__spore_packed_m_step
// CHECK-COUNT-3: llvm.load
// CHECK-NOT: llvm.load
// CHECK: llvm.return
spore.parameter "net.w" : tensor<2x3xf32> "uniform" [-0.5, 0.5]
spore.parameter "opt.step" : tensor<i64> "const" [0.0]
llvm.func @__spore_step(%w: !llvm.ptr, %n: !llvm.ptr, %x: !llvm.ptr, %out: !llvm.ptr, %neww: !llvm.ptr, %newn: !llvm.ptr) attributes {spore.export = "step", spore.state_writes = array<i64: 0, 1>, spore.result_bytes = array<i64: 4, 24, 8>} {
  llvm.return
}
