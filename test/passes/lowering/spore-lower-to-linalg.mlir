// RUN: spore-opt %s -split-input-file -verify-each --spore-lower-to-linalg | FileCheck %s

// Elementwise ops become one linalg.generic whose body the op builds.
// CHECK-LABEL: func.func @__spore_elementwise
// CHECK-SAME: attributes {spore.export = "elementwise"}
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: arith.maximumf
spore.func @elementwise(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> attributes {spore.export} {
  %0 = spore.add %a, %b : tensor<4xf32>
  %1 = spore.relu %0 : tensor<4xf32>
  spore.return %1 : tensor<4xf32>
}

// -----

// A 2-D matmul is linalg.matmul on a zero-filled init; calls are renamed.
// Exports stay public (symbol DCE keeps them), other functions are private.
// CHECK-LABEL: func.func @__spore_mm
// CHECK: linalg.fill
// CHECK: linalg.matmul
// CHECK: call @__spore_id
// CHECK: func.func private @__spore_id
spore.func @mm(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<2x4xf32> attributes {spore.export} {
  %0 = spore.matmul %a, %b : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<2x4xf32>
  %1 = spore.call @id(%0) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  spore.return %1 : tensor<2x4xf32>
}
spore.func private @id(%a: tensor<2x4xf32>) -> tensor<2x4xf32> {
  spore.return %a : tensor<2x4xf32>
}

// -----

// A vector-matrix product is a contraction generic with one reduction loop.
// CHECK-LABEL: func.func @__spore_vm
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
spore.func @vm(%a: tensor<3xf32>, %b: tensor<3x4xf32>) -> tensor<4xf32> attributes {spore.export} {
  %0 = spore.matmul %a, %b : tensor<3xf32>, tensor<3x4xf32> -> tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}

// -----

// Broadcasting reads size-1 dimensions at index 0.
// CHECK: #[[MAP:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @__spore_bcast
// CHECK: linalg.generic {indexing_maps = [#[[MAP]]
spore.func @bcast(%a: tensor<1x3xf32>) -> tensor<2x3xf32> attributes {spore.export} {
  %0 = spore.broadcast_to %a : tensor<1x3xf32> -> tensor<2x3xf32>
  spore.return %0 : tensor<2x3xf32>
}

// -----

// keepdims reductions reduce, then reshape the unit dimensions back.
// CHECK-LABEL: func.func @__spore_reduce
// CHECK: linalg.reduce
// CHECK: arith.addf
// CHECK: tensor.reshape
spore.func @reduce(%a: tensor<2x3xf32>) -> tensor<2x1xf32> attributes {spore.export} {
  %0 = spore.sum %a axes = [1] keepdims : tensor<2x3xf32> -> tensor<2x1xf32>
  spore.return %0 : tensor<2x1xf32>
}

// -----

// softmax subtracts the row maximum before exponentiating.
// CHECK-LABEL: func.func @__spore_softmax
// CHECK: linalg.reduce
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: linalg.reduce
// CHECK: arith.divf
spore.func @softmax(%a: tensor<2x3xf32>) -> tensor<2x3xf32> attributes {spore.export} {
  %0 = spore.softmax %a axis = 1 : tensor<2x3xf32>
  spore.return %0 : tensor<2x3xf32>
}

// -----

// Transposes and reshapes map onto linalg.transpose and tensor.reshape.
// CHECK-LABEL: func.func @__spore_shapes
// CHECK: linalg.transpose
// CHECK-SAME: permutation = [1, 0]
// CHECK: tensor.reshape
spore.func @shapes(%a: tensor<2x3xf32>) -> tensor<6xf32> attributes {spore.export} {
  %0 = spore.transpose %a permutation = [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  %1 = spore.reshape %0 : tensor<3x2xf32> -> tensor<6xf32>
  spore.return %1 : tensor<6xf32>
}
