// RUN: spore-opt %s -split-input-file -verify-diagnostics --spore-differentiate

// An op of another dialect on the differentiated path.
spore.func private @expand(%x: tensor<3xf32>) -> tensor<f32> {
  // expected-error @+1 {{'tensor.expand_shape' has no derivative rule yet, and it is on the path being differentiated}}
  %0 = tensor.expand_shape %x [[0, 1]] output_shape [1, 3] : tensor<3xf32> into tensor<1x3xf32>
  %1 = spore.sum %0 axes = [0, 1] : tensor<1x3xf32> -> tensor<f32>
  spore.return %1 : tensor<f32>
}
spore.func @f(%x: tensor<3xf32>) -> tensor<3xf32> attributes {spore.export} {
  %0 = spore.grad @expand(%x) wrt = [0] : (tensor<3xf32>) -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// -----

// The value stack of a differentiated loop, differentiated again.
spore.func private @stack(%x: tensor<3xf32>, %i: index, %j: index) -> tensor<f32> {
  %0 = tensor.empty(%i) : tensor<?x3xf32>
  %1 = tensor.insert_slice %x into %0[%i, 0] [1, 3] [1, 1] : tensor<3xf32> into tensor<?x3xf32>
  // expected-error @+1 {{cannot differentiate twice in reverse mode through a loop that is not unrolled yet}}
  %2 = tensor.extract_slice %1[%j, 0] [1, 3] [1, 1] : tensor<?x3xf32> to tensor<3xf32>
  %3 = spore.sum %2 axes = [0] : tensor<3xf32> -> tensor<f32>
  spore.return %3 : tensor<f32>
}
spore.func @f(%x: tensor<3xf32>, %i: index, %j: index) -> tensor<3xf32> {
  %0 = spore.grad @stack(%x, %i, %j) wrt = [0] : (tensor<3xf32>, index, index) -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// -----

// Forward mode through an op of another dialect.
spore.func private @expandf(%x: tensor<3xf32>) -> tensor<1x3xf32> {
  // expected-error @+1 {{'tensor.expand_shape' has no forward-mode rule yet, and it is on the path being differentiated}}
  %0 = tensor.expand_shape %x [[0, 1]] output_shape [1, 3] : tensor<3xf32> into tensor<1x3xf32>
  spore.return %0 : tensor<1x3xf32>
}
spore.func @f(%x: tensor<3xf32>, %t: tensor<3xf32>) -> tensor<1x3xf32> {
  %0:2 = spore.jvp @expandf(%x) tangents(%t) wrt = [0] : (tensor<3xf32>), (tensor<3xf32>) -> (tensor<1x3xf32>, tensor<1x3xf32>)
  spore.return %0#1 : tensor<1x3xf32>
}

// -----

// A loop carrying a value that a stack cannot hold.
spore.func private @carries(%x: tensor<3xf32>, %v: vector<4xf32>, %n: index) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{cannot differentiate a loop that carries a 'vector<4xf32>' yet}}
  %0:2 = scf.for %i = %c0 to %n step %c1 iter_args(%h = %x, %w = %v) -> (tensor<3xf32>, vector<4xf32>) {
    %1 = spore.sin %h : tensor<3xf32>
    %w2 = arith.addf %w, %w : vector<4xf32>
    scf.yield %1, %w2 : tensor<3xf32>, vector<4xf32>
  }
  %2 = spore.sum %0#0 axes = [0] : tensor<3xf32> -> tensor<f32>
  spore.return %2 : tensor<f32>
}
spore.func @f(%x: tensor<3xf32>, %v: vector<4xf32>, %n: index) -> tensor<3xf32> {
  %0 = spore.grad @carries(%x, %v, %n) wrt = [0] : (tensor<3xf32>, vector<4xf32>, index) -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// -----

// A @custom_vjp function whose rule is missing.
spore.func private @custom(%x: tensor<3xf32>) -> tensor<3xf32> attributes {spore.custom_vjp = @nowhere} {
  spore.return %x : tensor<3xf32>
}
spore.func private @usecustom(%x: tensor<3xf32>) -> tensor<f32> {
  // expected-error @+1 {{the custom vjp rule 'nowhere' does not exist}}
  %0 = spore.call @custom(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %1 = spore.sum %0 axes = [0] : tensor<3xf32> -> tensor<f32>
  spore.return %1 : tensor<f32>
}
spore.func @f(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = spore.grad @usecustom(%x) wrt = [0] : (tensor<3xf32>) -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// -----

// A loop over integers rather than an index.
spore.func private @intloop(%x: tensor<3xf32>, %n: i32) -> tensor<f32> {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  // expected-error @+1 {{cannot differentiate a loop over 'i32' yet}}
  %0 = scf.for %i = %c0 to %n step %c1 iter_args(%h = %x) -> (tensor<3xf32>) : i32 {
    %1 = spore.sin %h : tensor<3xf32>
    scf.yield %1 : tensor<3xf32>
  }
  %2 = spore.sum %0 axes = [0] : tensor<3xf32> -> tensor<f32>
  spore.return %2 : tensor<f32>
}
spore.func @f(%x: tensor<3xf32>, %n: i32) -> tensor<3xf32> {
  %0 = spore.grad @intloop(%x, %n) wrt = [0] : (tensor<3xf32>, i32) -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// -----

// polygamma's derivative raises its order; past 16 it is refused.
spore.func private @high(%x: tensor<f64>) -> tensor<f64> {
  // expected-error @+1 {{'spore.polygamma' op cannot be differentiated beyond order 16}}
  %0 = spore.polygamma %x order = 16 : tensor<f64>
  spore.return %0 : tensor<f64>
}
spore.func @g(%x: tensor<f64>) -> tensor<f64> attributes {spore.export} {
  %0 = spore.grad @high(%x) wrt = [0] : (tensor<f64>) -> tensor<f64>
  spore.return %0 : tensor<f64>
}
