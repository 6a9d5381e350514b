// RUN: spore-opt %s -verify-each --spore-emit-c-abi=prefix=m | FileCheck %s

// A module with Parameters: the spore.parameter ops become the state
// descriptor and the state functions that forward to the runtime; the
// export's C entry point takes the state first and passes its buffers to
// the implementation's leading arguments, failing with status 1 when the
// runtime refuses the state.
// CHECK-NOT: spore.parameter
// CHECK: llvm.mlir.global internal constant @__spore_state_descriptor("net.w f32 [2,3] uniform -0.5 0.5\0Anet.b f32 [3] const 0\0A\00")
// CHECK: llvm.func @m_f(%[[S:.*]]: !llvm.ptr, %[[X:.*]]: !llvm.ptr {llvm.noalias}, %[[OUT:.*]]: !llvm.ptr {llvm.noalias}) -> i32
// CHECK: %[[T:.*]] = llvm.call @spore_state_buffers(%[[S]], %{{.*}})
// CHECK: llvm.icmp "eq" %[[T]]
// CHECK: llvm.cond_br
// CHECK: llvm.return %{{.*}} : i32
// CHECK-COUNT-2: llvm.load
// CHECK: llvm.call @__spore_f(%{{.*}}, %{{.*}}, %[[X]], %[[OUT]])
// CHECK-LABEL: llvm.func @__spore_packed_m_f(%{{.*}}: !llvm.ptr) -> i32
// CHECK-COUNT-3: llvm.load
// CHECK-LABEL: llvm.func @m_state_create(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) -> i32
// CHECK: llvm.mlir.addressof @__spore_state_descriptor
// CHECK: llvm.call @spore_state_create
// CHECK-LABEL: llvm.func @m_state_init(%{{.*}}: !llvm.ptr, %{{.*}}: i64) -> i32
// CHECK: llvm.call @spore_state_init
// CHECK-LABEL: llvm.func @m_state_save
// CHECK-LABEL: llvm.func @m_state_load
// CHECK-LABEL: llvm.func @m_state_destroy(%{{.*}}: !llvm.ptr)
// CHECK: llvm.call @spore_state_destroy
spore.parameter "net.w" : tensor<2x3xf32> "uniform" [-0.5, 0.5]
spore.parameter "net.b" : tensor<3xf32> "const" [0.0]
llvm.func @__spore_f(%w: !llvm.ptr, %b: !llvm.ptr, %x: !llvm.ptr, %out: !llvm.ptr) attributes {spore.export = "f"} {
  llvm.return
}
