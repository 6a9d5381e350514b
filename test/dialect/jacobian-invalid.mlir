// RUN: spore-opt %s -split-input-file -verify-diagnostics

spore.func private @f(%x: tensor<3xf32>) -> tensor<2xf32> {
  %0 = spore.slice %x starts = [0] steps = [1] : tensor<3xf32> -> tensor<2xf32>
  spore.return %0 : tensor<2xf32>
}
spore.func @g(%x: tensor<3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'spore.jacobian' op wrt 1 is out of range for 1 primals}}
  %0 = spore.jacobian @f(%x) wrt = 1 : (tensor<3xf32>) -> tensor<2x3xf32>
  spore.return %0 : tensor<2x3xf32>
}

// -----

spore.func private @f(%x: tensor<3xf32>, %n: tensor<i64>) -> tensor<2xf32> {
  %0 = spore.slice %x starts = [0] steps = [1] : tensor<3xf32> -> tensor<2xf32>
  spore.return %0 : tensor<2xf32>
}
spore.func @g(%x: tensor<3xf32>, %n: tensor<i64>) -> tensor<2xf32> {
  // expected-error @+1 {{'spore.jacobian' op differentiates with respect to a floating tensor, not 'tensor<i64>'}}
  %0 = spore.jacobian @f(%x, %n) wrt = 1 : (tensor<3xf32>, tensor<i64>) -> tensor<2xf32>
  spore.return %0 : tensor<2xf32>
}

// -----

spore.func private @f(%x: tensor<3xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  %0 = spore.slice %x starts = [0] steps = [1] : tensor<3xf32> -> tensor<2xf32>
  spore.return %0, %0 : tensor<2xf32>, tensor<2xf32>
}
spore.func @g(%x: tensor<3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'spore.jacobian' op 'f' must return one floating tensor}}
  %0 = spore.jacobian @f(%x) wrt = 0 : (tensor<3xf32>) -> tensor<2x3xf32>
  spore.return %0 : tensor<2x3xf32>
}

// -----

spore.func private @f(%x: tensor<3xf32>) -> tensor<2xf32> {
  %0 = spore.slice %x starts = [0] steps = [1] : tensor<3xf32> -> tensor<2xf32>
  spore.return %0 : tensor<2xf32>
}
spore.func @g(%x: tensor<3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{'spore.jacobian' op result type must be 'tensor<2x3xf32>'}}
  %0 = spore.jacobian @f(%x) wrt = 0 forward : (tensor<3xf32>) -> tensor<3x2xf32>
  spore.return %0 : tensor<3x2xf32>
}

// -----

spore.func private @f(%x: tensor<3xf32>) -> tensor<2xf32> {
  %0 = spore.slice %x starts = [0] steps = [1] : tensor<3xf32> -> tensor<2xf32>
  spore.return %0 : tensor<2xf32>
}
spore.func @g(%x: tensor<3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'spore.jacobian' op width must be at least 1, got 0}}
  %0 = spore.jacobian @f(%x) wrt = 0 width = 0 : (tensor<3xf32>) -> tensor<2x3xf32>
  spore.return %0 : tensor<2x3xf32>
}
