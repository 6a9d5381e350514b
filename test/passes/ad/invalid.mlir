// RUN: spore-opt %s -split-input-file -verify-diagnostics --spore-differentiate

spore.func private @rec(%x: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{cannot differentiate through the recursive function 'rec' yet}}
  %0 = spore.call @rec(%x) : (tensor<f32>) -> tensor<f32>
  spore.return %0 : tensor<f32>
}
spore.func @f(%x: tensor<f32>) -> tensor<f32> attributes {spore.export} {
  %0 = spore.grad @rec(%x) wrt = [0] : (tensor<f32>) -> tensor<f32>
  spore.return %0 : tensor<f32>
}

// -----

spore.func private @conv(%x: tensor<1x2x2x1xf32>, %w: tensor<1x1x1x1xf32>) -> tensor<f32> {
  // expected-error @+1 {{'spore.conv2d' has no derivative rule yet, and it is on the path being differentiated}}
  %0 = spore.conv2d %x, %w strides = [1, 1] dilations = [1, 1] padding = [0, 0, 0, 0] groups = 1 : tensor<1x2x2x1xf32>, tensor<1x1x1x1xf32> -> tensor<1x2x2x1xf32>
  %1 = spore.sum %0 axes = [0, 1, 2, 3] : tensor<1x2x2x1xf32> -> tensor<f32>
  spore.return %1 : tensor<f32>
}
spore.func @f(%x: tensor<1x2x2x1xf32>, %w: tensor<1x1x1x1xf32>) -> tensor<1x2x2x1xf32> attributes {spore.export} {
  %0 = spore.grad @conv(%x, %w) wrt = [0] : (tensor<1x2x2x1xf32>, tensor<1x1x1x1xf32>) -> tensor<1x2x2x1xf32>
  spore.return %0 : tensor<1x2x2x1xf32>
}

// -----

spore.func private @product(%x: tensor<3xf32>) -> tensor<f32> {
  // expected-error @+1 {{'spore.prod' op is not differentiable yet}}
  %0 = spore.prod %x axes = [0] : tensor<3xf32> -> tensor<f32>
  spore.return %0 : tensor<f32>
}
spore.func @f(%x: tensor<3xf32>) -> tensor<3xf32> attributes {spore.export} {
  %0 = spore.grad @product(%x) wrt = [0] : (tensor<3xf32>) -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}
