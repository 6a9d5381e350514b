// RUN: spore-opt %s -split-input-file -verify-each --spore-lower-to-linalg | FileCheck %s

// Elementwise ops become one linalg.generic whose body the op builds.
// CHECK-LABEL: func.func @__spore_elementwise
// CHECK-SAME: attributes {spore.export = "elementwise", spore.result_bytes = array<i64: 16>}
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

// -----

// Slices: positive steps are one extract_slice; a negative step is
// extracted forwards, then reversed by a generic.
// CHECK-LABEL: func.func @__spore_slices
// CHECK: tensor.extract_slice %{{.*}}[1, 0] [3, 5] [2, 1]
// CHECK: tensor.extract_slice %{{.*}}[0, 1] [8, 4] [1, 1]
// CHECK: linalg.generic
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[2, 0] [2, 5] [3, 1]
spore.func @slices(%x: tensor<8x5xf32>, %u: tensor<2x5xf32>) -> (tensor<3x5xf32>, tensor<8x4xf32>, tensor<8x5xf32>) attributes {spore.export} {
  %0 = spore.slice %x starts = [1, 0] steps = [2, 1] : tensor<8x5xf32> -> tensor<3x5xf32>
  %1 = spore.slice %x starts = [0, 4] steps = [1, -1] : tensor<8x5xf32> -> tensor<8x4xf32>
  %2 = spore.update_slice %u into %x starts = [2, 0] steps = [3, 1] : tensor<2x5xf32> into tensor<8x5xf32>
  spore.return %0, %1, %2 : tensor<3x5xf32>, tensor<8x4xf32>, tensor<8x5xf32>
}

// -----

// Run-time starts are clamped into bounds; a gather extracts per element.
// CHECK-LABEL: func.func @__spore_dynamic
// CHECK: arith.minsi
// CHECK: arith.maxsi
// CHECK: tensor.extract_slice %{{.*}}[%{{.*}}, %{{.*}}] [1, 5] [1, 1]
// CHECK: linalg.generic
// CHECK: linalg.index
// CHECK: tensor.extract
spore.func @dynamic(%x: tensor<8x5xf32>, %i: tensor<i64>, %idx: tensor<3xi32>) -> (tensor<1x5xf32>, tensor<3x5xf32>) attributes {spore.export} {
  %0 = spore.dynamic_slice %x[%i, %i] : tensor<8x5xf32> -> tensor<1x5xf32>
  %1 = spore.gather %x[%idx] axis = 0 : tensor<8x5xf32>, tensor<3xi32> -> tensor<3x5xf32>
  spore.return %0, %1 : tensor<1x5xf32>, tensor<3x5xf32>
}

// -----

// A print becomes runtime calls: text by character, a tensor's dimensions,
// its elements in a loop (widened to f64), the end of the statement.
// CHECK: func.func private @spore_print_text(i32)
// CHECK-LABEL: func.func @__spore_printing
// CHECK: call @spore_print_text
// CHECK: call @spore_print_shape
// CHECK: scf.for
// CHECK:   arith.extf
// CHECK:   call @spore_print_f64
// CHECK: call @spore_print_end_tensor
// CHECK: call @spore_print_end
spore.func @printing(%x: tensor<2xf32>) attributes {spore.export} {
  spore.print ["x", "\n"] %x : tensor<2xf32>
  spore.return
}

// -----

// A failing check records its message, with each `{}` filled by a value in
// decimal, and the status: 6 (SPORE_ERROR_VALUE) for a precondition, 5
// (SPORE_ERROR_ASSERT) for a user's assert.
// CHECK-LABEL: func.func private @__spore_checks
// CHECK: %[[I:.*]] = tensor.extract %arg1[] : tensor<i64>
// CHECK: scf.if
// CHECK: arith.constant 97 : i32
// CHECK: call @spore_fail_text
// CHECK: call @spore_fail_i64(%[[I]])
// CHECK: arith.constant 98 : i32
// CHECK: call @spore_fail_text
// CHECK: %[[S:.*]] = arith.constant 6 : i32
// CHECK: call @spore_fail_code(%[[S]])
// CHECK: scf.if
// CHECK: %[[A:.*]] = arith.constant 5 : i32
// CHECK: call @spore_fail_code(%[[A]])
spore.func @checks(%c: tensor<i1>, %i: tensor<i64>) {
  spore.assert %c, "a{}b"(%i : tensor<i64>) {precondition} : tensor<i1>
  spore.assert %c, "{}" : tensor<i1>
  spore.return
}

// -----

// A splat constant above 64 KiB is filled at run time, so that no object
// holds its elements; a small one stays a constant.
// CHECK-LABEL: func.func private @__spore_splats
// CHECK-DAG: arith.constant dense<1.000000e+00> : tensor<16xf32>
// CHECK-DAG: %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-DAG: %[[E:.*]] = tensor.empty() : tensor<100000x1000xf32>
// CHECK: linalg.fill ins(%[[TWO]] : f32) outs(%[[E]] : tensor<100000x1000xf32>)
spore.func @splats() -> (tensor<16xf32>, tensor<100000x1000xf32>) {
  %0 = spore.constant dense<1.0> : tensor<16xf32>
  %1 = spore.constant dense<2.0> : tensor<100000x1000xf32>
  spore.return %0, %1 : tensor<16xf32>, tensor<100000x1000xf32>
}

// -----

// An export's parameters and results without elements become tensor<0xT>
// (the bare-pointer convention refuses zero-size memrefs of rank 2); inside
// they are empty constants of their own shapes.
// CHECK-LABEL: func.func @__spore_empty(
// CHECK-SAME: %{{.*}}: tensor<0xf32> {{.*}}) -> tensor<0xf32>
// CHECK: arith.constant dense<> : tensor<2x0xf32>
// CHECK: linalg.generic
// CHECK: %[[R:.*]] = arith.constant dense<> : tensor<0xf32>
// CHECK: return %[[R]] : tensor<0xf32>
spore.func @empty(%x: tensor<2x0xf32>) -> tensor<2x0xf32> attributes {spore.export} {
  %0 = spore.add %x, %x : tensor<2x0xf32>
  spore.return %0 : tensor<2x0xf32>
}
