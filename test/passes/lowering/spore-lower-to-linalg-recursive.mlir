// RUN: spore-opt %s --spore-lower-to-linalg | FileCheck %s

// A function that calls itself is marked: its frames are one per level,
// so its stack buffers get a smaller budget (kRecursiveStackBudget).
// CHECK-LABEL: func.func private @__spore_rec(
// CHECK-SAME: attributes {spore.recursive}
// CHECK-LABEL: func.func @__spore_f(
// CHECK-NOT: spore.recursive
// CHECK: return
spore.func private @rec(%x: tensor<f32>) -> tensor<f32> {
  %0 = spore.call @rec(%x) : (tensor<f32>) -> tensor<f32>
  spore.return %0 : tensor<f32>
}
spore.func @f(%x: tensor<f32>) -> tensor<f32> attributes {spore.export} {
  %0 = spore.call @rec(%x) : (tensor<f32>) -> tensor<f32>
  spore.return %0 : tensor<f32>
}
