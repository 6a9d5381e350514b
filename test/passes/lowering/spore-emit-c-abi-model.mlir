// RUN: spore-opt %s -verify-each --spore-emit-c-abi=prefix=m | FileCheck %s
// RUN: sed 's/"g x/"h x/' %s | not spore-opt --spore-emit-c-abi=prefix=m 2>&1 | FileCheck %s --check-prefix=BAD

// The module's spore.exports becomes `m_model()`, a constant spore_model
// (runtime.h): the name, the state descriptor, the exports' descriptor and
// the packed entry points in the descriptor's order (not the functions').
// CHECK-NOT: spore.exports
// CHECK: llvm.mlir.global internal constant @__spore_model_name("m\00")
// CHECK: llvm.mlir.global internal constant @__spore_exports_descriptor("g x:f32[2] -> f32[]\0Af y:i32[] -> i64[]\0A\00")
// CHECK: llvm.mlir.global internal constant @__spore_entries() {{.*}} : !llvm.array<2 x ptr>
// CHECK: llvm.mlir.addressof @__spore_packed_m_g
// CHECK: llvm.mlir.addressof @__spore_packed_m_f
// CHECK: llvm.mlir.global internal constant @__spore_model() {{.*}} : !llvm.struct<(ptr, ptr, ptr, ptr, i32)>
// CHECK: llvm.mlir.addressof @__spore_model_name
// CHECK: llvm.mlir.addressof @__spore_state_descriptor
// CHECK: llvm.mlir.addressof @__spore_exports_descriptor
// CHECK: llvm.mlir.addressof @__spore_entries
// CHECK: llvm.mlir.constant(2 : i32)
// CHECK-LABEL: llvm.func @m_model() -> !llvm.ptr
// CHECK: llvm.mlir.addressof @__spore_model
// A descriptor naming a function that is not an export is refused.
// BAD: error: spore.exports names 'h', which is not an export
module attributes {spore.exports = "g x:f32[2] -> f32[]\0Af y:i32[] -> i64[]\0A"} {
  spore.parameter "w" : tensor<2xf32> "const" [0.0]
  llvm.func @__spore_f(%w: !llvm.ptr, %y: !llvm.ptr, %out: !llvm.ptr) attributes {spore.export = "f"} {
    llvm.return
  }
  llvm.func @__spore_g(%w: !llvm.ptr, %x: !llvm.ptr, %out: !llvm.ptr) attributes {spore.export = "g"} {
    llvm.return
  }
}
