// RUN: spore-opt %s -split-input-file -verify-each --spore-lower-to-linalg | FileCheck %s

// A convolution is one matmul (im2col): the strided slab of the padded
// input that each of the 2x2 window positions sees (dilation 2: offsets 0
// and 2; stride 2), side by side along the channels, as a [N*OH*OW,
// KH*KW*C] matrix against the filter as a [KH*KW*C, F] matrix.
// CHECK-LABEL: func.func @__spore_conv
// CHECK: %[[P:.*]] = tensor.pad
// CHECK: tensor.extract_slice %[[P]][0, 0, 0, 0] [2, 3, 3, 2] [1, 2, 2, 1] : tensor<2x8x8x2xf32> to tensor<2x3x3x2xf32>
// CHECK: tensor.extract_slice %[[P]][0, 0, 2, 0] [2, 3, 3, 2] [1, 2, 2, 1]
// CHECK: tensor.extract_slice %[[P]][0, 2, 0, 0] [2, 3, 3, 2] [1, 2, 2, 1]
// CHECK: tensor.extract_slice %[[P]][0, 2, 2, 0] [2, 3, 3, 2] [1, 2, 2, 1]
// CHECK: %[[C:.*]] = tensor.concat dim(3) {{.*}} -> tensor<2x3x3x8xf32>
// CHECK: %[[M:.*]] = tensor.reshape %[[C]]({{.*}}) : (tensor<2x3x3x8xf32>, tensor<2xi64>) -> tensor<18x8xf32>
// CHECK: %[[W:.*]] = tensor.reshape %{{.*}}({{.*}}) : (tensor<2x2x2x4xf32>, tensor<2xi64>) -> tensor<8x4xf32>
// CHECK: %[[R:.*]] = linalg.matmul ins(%[[M]], %[[W]] : tensor<18x8xf32>, tensor<8x4xf32>)
// CHECK: tensor.reshape %[[R]]({{.*}}) : (tensor<18x4xf32>, tensor<4xi64>) -> tensor<2x3x3x4xf32>
// CHECK-NOT: linalg.conv_2d
spore.func @conv(%x: tensor<2x6x6x2xf32>, %w: tensor<2x2x2x4xf32>) -> tensor<2x3x3x4xf32> attributes {spore.export} {
  %0 = spore.conv2d %x, %w strides = [2, 2] dilations = [2, 2] padding = [1, 1, 1, 1] groups = 1 : tensor<2x6x6x2xf32>, tensor<2x2x2x4xf32> -> tensor<2x3x3x4xf32>
  spore.return %0 : tensor<2x3x3x4xf32>
}

// -----

// With groups, a matmul per group on its channels and filter columns, the
// results concatenated; a 1x1 window needs no concatenation of slabs.
// CHECK-LABEL: func.func @__spore_grouped
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0, 0] [1, 4, 4, 2] [1, 1, 1, 1] : tensor<1x4x4x4xf32> to tensor<1x4x4x2xf32>
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0, 0] [1, 1, 2, 3] [1, 1, 1, 1] : tensor<1x1x2x6xf32> to tensor<1x1x2x3xf32>
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<16x2xf32>, tensor<2x3xf32>)
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0, 2] [1, 4, 4, 2] [1, 1, 1, 1]
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0, 3] [1, 1, 2, 3] [1, 1, 1, 1]
// CHECK: linalg.matmul
// CHECK: tensor.concat dim(3) {{.*}} -> tensor<1x4x4x6xf32>
spore.func @grouped(%x: tensor<1x4x4x4xf32>, %w: tensor<1x1x2x6xf32>) -> tensor<1x4x4x6xf32> attributes {spore.export} {
  %0 = spore.conv2d %x, %w strides = [1, 1] dilations = [1, 1] padding = [0, 0, 0, 0] groups = 2 : tensor<1x4x4x4xf32>, tensor<1x1x2x6xf32> -> tensor<1x4x4x6xf32>
  spore.return %0 : tensor<1x4x4x6xf32>
}
