// RUN: spore-opt %s -split-input-file -verify-diagnostics

spore.func @f(%a: tensor<3xf32>, %b: tensor<4xf32>) -> tensor<3xf32> {
  // expected-error @+2 {{'spore.add' op operand shapes differ: [3] vs [4] (broadcast explicitly with spore.broadcast_to)}}
  // expected-error @+1 {{'spore.add' op failed to infer returned types}}
  %0 = "spore.add"(%a, %b) : (tensor<3xf32>, tensor<4xf32>) -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// -----

spore.func @f(%a: tensor<3xf32>, %b: tensor<3xf64>) -> tensor<3xf32> {
  // expected-error @+2 {{'spore.mul' op operand element types differ: 'tensor<3xf32>' vs 'tensor<3xf64>'}}
  // expected-error @+1 {{'spore.mul' op failed to infer returned types}}
  %0 = "spore.mul"(%a, %b) : (tensor<3xf32>, tensor<3xf64>) -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// -----

spore.func @f(%a: tensor<3xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{'spore.sub' op inferred type(s) 'tensor<3xf32>' are incompatible with return type(s) of operation 'tensor<4xf32>'}}
  // expected-error @+1 {{'spore.sub' op failed to infer returned types}}
  %0 = "spore.sub"(%a, %a) : (tensor<3xf32>, tensor<3xf32>) -> tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}

// -----

spore.func @f(%a: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error @+1 {{'spore.exp' op operand #0 must be ranked tensor of}}
  %0 = spore.exp %a : tensor<3xi32>
  spore.return %0 : tensor<3xi32>
}

// -----

spore.func @f(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // expected-error @+2 {{'spore.matmul' op contracting dimensions differ: [2, 3] @ [4, 5] (3 vs 4)}}
  // expected-error @+1 {{'spore.matmul' op failed to infer returned types}}
  %0 = spore.matmul %a, %b : tensor<2x3xf32>, tensor<4x5xf32> -> tensor<2x5xf32>
  spore.return %0 : tensor<2x5xf32>
}

// -----

spore.func @f(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>) -> tensor<2x4xf32> {
  // expected-error @+2 {{'spore.matmul' op inferred type(s) 'tensor<2x5xf32>' are incompatible with return type(s) of operation 'tensor<2x4xf32>'}}
  // expected-error @+1 {{'spore.matmul' op failed to infer returned types}}
  %0 = spore.matmul %a, %b : tensor<2x3xf32>, tensor<3x5xf32> -> tensor<2x4xf32>
  spore.return %0 : tensor<2x4xf32>
}

// -----

spore.func @f(%a: tensor<f32>, %b: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+2 {{'spore.matmul' op matmul operands must have rank >= 1}}
  // expected-error @+1 {{'spore.matmul' op failed to infer returned types}}
  %0 = spore.matmul %a, %b : tensor<f32>, tensor<3xf32> -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// -----

spore.func @f(%a: tensor<2x3x4xf32>, %b: tensor<5x4x2xf32>) -> tensor<2x3x2xf32> {
  // expected-error @+2 {{'spore.matmul' op batch dimensions of [2, 3, 4] and [5, 4, 2] do not broadcast}}
  // expected-error @+1 {{'spore.matmul' op failed to infer returned types}}
  %0 = spore.matmul %a, %b : tensor<2x3x4xf32>, tensor<5x4x2xf32> -> tensor<2x3x2xf32>
  spore.return %0 : tensor<2x3x2xf32>
}

// -----

spore.func @f(%a: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @+2 {{'spore.sum' op axis 2 is out of range for rank 2}}
  // expected-error @+1 {{'spore.sum' op failed to infer returned types}}
  %0 = spore.sum %a axes = [2] : tensor<2x3xf32> -> tensor<2xf32>
  spore.return %0 : tensor<2xf32>
}

// -----

spore.func @f(%a: tensor<2x3xf32>) -> tensor<f32> {
  // expected-error @+2 {{'spore.sum' op axes must be strictly increasing, got [1, 0]}}
  // expected-error @+1 {{'spore.sum' op failed to infer returned types}}
  %0 = spore.sum %a axes = [1, 0] : tensor<2x3xf32> -> tensor<f32>
  spore.return %0 : tensor<f32>
}

// -----

spore.func @f(%a: tensor<2x3xf32>) -> tensor<3xf32> {
  // expected-error @+2 {{'spore.sum' op inferred type(s) 'tensor<2xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{'spore.sum' op failed to infer returned types}}
  %0 = spore.sum %a axes = [1] : tensor<2x3xf32> -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// -----

spore.func @f(%a: tensor<2x3xi32>) -> tensor<2xi32> {
  // expected-error @+1 {{'spore.mean' op mean needs a floating input, got 'tensor<2x3xi32>'}}
  %0 = spore.mean %a axes = [1] : tensor<2x3xi32> -> tensor<2xi32>
  spore.return %0 : tensor<2xi32>
}

// -----

spore.func @f(%a: tensor<0x3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'spore.max' op max over axis 0 of size 0 has no identity}}
  %0 = spore.max %a axes = [0] : tensor<0x3xf32> -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// -----

spore.func @f(%a: tensor<2x3xf32>) -> tensor<5xf32> {
  // expected-error @+1 {{'spore.reshape' op cannot reshape [2, 3] (6 elements) to [5] (5 elements)}}
  %0 = spore.reshape %a : tensor<2x3xf32> -> tensor<5xf32>
  spore.return %0 : tensor<5xf32>
}

// -----

spore.func @f(%a: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+2 {{'spore.transpose' op permutation [0, 0] is not a permutation of 0..1}}
  // expected-error @+1 {{'spore.transpose' op failed to infer returned types}}
  %0 = spore.transpose %a permutation = [0, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  spore.return %0 : tensor<3x2xf32>
}

// -----

spore.func @f(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+2 {{'spore.transpose' op inferred type(s) 'tensor<3x2xf32>' are incompatible with return type(s) of operation 'tensor<2x3xf32>'}}
  // expected-error @+1 {{'spore.transpose' op failed to infer returned types}}
  %0 = spore.transpose %a permutation = [1, 0] : tensor<2x3xf32> -> tensor<2x3xf32>
  spore.return %0 : tensor<2x3xf32>
}

// -----

spore.func @f(%a: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+2 {{'spore.transpose' op permutation [1] has 1 entries but the input has rank 2}}
  // expected-error @+1 {{'spore.transpose' op failed to infer returned types}}
  %0 = spore.transpose %a permutation = [1] : tensor<2x3xf32> -> tensor<3x2xf32>
  spore.return %0 : tensor<3x2xf32>
}

// -----

spore.func @f(%a: tensor<3xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'spore.broadcast_to' op cannot broadcast [3] to [2, 4]}}
  %0 = spore.broadcast_to %a : tensor<3xf32> -> tensor<2x4xf32>
  spore.return %0 : tensor<2x4xf32>
}

// -----

spore.func @f(%a: tensor<2x3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'spore.broadcast_to' op cannot broadcast [2, 3] to the lower-rank shape [3]}}
  %0 = spore.broadcast_to %a : tensor<2x3xf32> -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// -----

spore.func @f(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'spore.softmax' op axis 2 is out of range for rank 2}}
  %0 = spore.softmax %a axis = 2 : tensor<2x3xf32>
  spore.return %0 : tensor<2x3xf32>
}

// -----

spore.func @f(%a: tensor<2x3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'spore.cast' op result shape [3] differs from the input shape [2, 3]}}
  %0 = spore.cast %a : tensor<2x3xf32> -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// -----

spore.func @f(%a: tensor<3xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'spore.return' op return value #0 has type 'tensor<3xf32>' but the function result has type 'tensor<4xf32>'}}
  spore.return %a : tensor<3xf32>
}

// -----

spore.func @f(%a: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'spore.return' op returns 0 values but the function 'f' has 1 results}}
  spore.return
}

// -----

spore.func @f(%a: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'spore.call' op 'g' does not name a spore.func in this module}}
  %0 = spore.call @g(%a) : (tensor<3xf32>) -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// -----

spore.func private @g(%a: tensor<3xf32>) -> tensor<3xf32> {
  spore.return %a : tensor<3xf32>
}
spore.func @f(%a: tensor<4xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'spore.call' op argument #0 has type 'tensor<4xf32>' but 'g' expects 'tensor<3xf32>'}}
  %0 = spore.call @g(%a) : (tensor<4xf32>) -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// -----

// expected-error @+1 {{'spore.func' op exported function argument must be a tensor, got '!spore.fn<() -> ()>'}}
spore.func @f(%a: !spore.fn<() -> ()>) attributes {spore.export} {
  spore.return
}

// -----

spore.func @f(%a: tensor<4xf32>, %b: tensor<4xf64>) {
  // expected-error @+1 {{'spore.compare' op operand types differ: 'tensor<4xf32>' vs 'tensor<4xf64>' (broadcast and convert explicitly first)}}
  %0 = "spore.compare"(%a, %b) {predicate = 2 : i64} : (tensor<4xf32>, tensor<4xf64>) -> tensor<4xi1>
  spore.return
}

// -----

spore.func @f(%a: tensor<4xf32>) {
  // expected-error @+1 {{'spore.and' op operand #0 must be ranked tensor of 1-bit signless integer or 8-bit signless integer or 32-bit signless integer or 64-bit signless integer values}}
  %0 = spore.and %a, %a : tensor<4xf32>
  spore.return
}

// -----

spore.func @f(%c: tensor<3xi1>, %a: tensor<4xf32>) {
  // expected-error @+2 {{'spore.select' op condition shape [3] differs from [4]}}
  // expected-error @+1 {{'spore.select' op failed to infer returned types}}
  %0 = spore.select %c, %a, %a : tensor<3xi1>, tensor<4xf32>
  spore.return
}

// -----

spore.func @f(%c: tensor<4xi1>, %a: tensor<4xf32>, %b: tensor<4xf64>) {
  // expected-error @+2 {{'spore.select' op branch types differ: 'tensor<4xf32>' vs 'tensor<4xf64>'}}
  // expected-error @+1 {{'spore.select' op failed to infer returned types}}
  %0 = "spore.select"(%c, %a, %b) : (tensor<4xi1>, tensor<4xf32>, tensor<4xf64>) -> tensor<4xf32>
  spore.return
}

// -----

spore.func @f(%x: tensor<8xf32>) {
  // expected-error @+1 {{'spore.slice' op dimension 0: indices 5 to 11 are out of bounds for size 8}}
  %0 = spore.slice %x starts = [5] steps = [3] : tensor<8xf32> -> tensor<3xf32>
  spore.return
}

// -----

spore.func @f(%x: tensor<8xf32>) {
  // expected-error @+1 {{'spore.slice' op step 0 of dimension 0 must be non-zero}}
  %0 = spore.slice %x starts = [0] steps = [0] : tensor<8xf32> -> tensor<3xf32>
  spore.return
}

// -----

spore.func @f(%x: tensor<8xf32>, %u: tensor<2xf32>) {
  // expected-error @+1 {{'spore.update_slice' op step -1 of dimension 0 must be positive}}
  %0 = spore.update_slice %u into %x starts = [3] steps = [-1] : tensor<2xf32> into tensor<8xf32>
  spore.return
}

// -----

spore.func @f(%x: tensor<8x2xf32>, %i: tensor<i64>) {
  // expected-error @+1 {{'spore.dynamic_slice' op needs one start per dimension (2), got 1}}
  %0 = spore.dynamic_slice %x[%i] : tensor<8x2xf32> -> tensor<1x2xf32>
  spore.return
}

// -----

spore.func @f(%x: tensor<8x2xf32>, %idx: tensor<3xi32>) {
  // expected-error @+2 {{'spore.gather' op inferred type(s) 'tensor<3x2xf32>' are incompatible with return type(s) of operation 'tensor<3x3xf32>'}}
  // expected-error @+1 {{'spore.gather' op failed to infer returned types}}
  %0 = spore.gather %x[%idx] axis = 0 : tensor<8x2xf32>, tensor<3xi32> -> tensor<3x3xf32>
  spore.return
}

// -----

spore.func @f(%x: tensor<2x8x8x3xf32>, %w: tensor<3x3x3x4xf32>) {
  // expected-error @+2 {{'spore.conv2d' op inferred type(s) 'tensor<2x6x6x4xf32>' are incompatible with return type(s) of operation 'tensor<2x8x8x4xf32>'}}
  // expected-error @+1 {{'spore.conv2d' op failed to infer returned types}}
  %0 = spore.conv2d %x, %w strides = [1, 1] dilations = [1, 1] padding = [0, 0, 0, 0] groups = 1 : tensor<2x8x8x3xf32>, tensor<3x3x3x4xf32> -> tensor<2x8x8x4xf32>
  spore.return
}

// -----

spore.func @f(%x: tensor<2x8x8x4xf32>, %w: tensor<3x3x3x4xf32>) {
  // expected-error @+2 {{'spore.conv2d' op filter has 3 input channels per group, the input 4 channels in 1 groups}}
  // expected-error @+1 {{'spore.conv2d' op failed to infer returned types}}
  %0 = spore.conv2d %x, %w strides = [1, 1] dilations = [1, 1] padding = [0, 0, 0, 0] groups = 1 : tensor<2x8x8x4xf32>, tensor<3x3x3x4xf32> -> tensor<2x6x6x4xf32>
  spore.return
}

// -----

spore.func @f(%x: tensor<2x2x2x3xf32>) {
  // expected-error @+2 {{'spore.pool2d' op the window does not fit in the padded input}}
  // expected-error @+1 {{'spore.pool2d' op failed to infer returned types}}
  %0 = spore.pool2d max %x window = [3, 3] strides = [1, 1] padding = [0, 0, 0, 0] : tensor<2x2x2x3xf32> -> tensor<2x1x1x3xf32>
  spore.return
}

// -----

spore.func @f(%key: tensor<3xi32>) {
  // expected-error @+1 {{'spore.random' op key must be i32[2], got 'tensor<3xi32>'}}
  %0 = spore.random %key : tensor<3xi32> -> tensor<4xf32>
  spore.return
}

// -----

spore.func @f(%x: tensor<5x3xf32>, %idx: tensor<4xi32>, %u: tensor<3x3xf32>) {
  // expected-error @+1 {{'spore.scatter_add' op updates shape [3, 3] should be [4, 3]}}
  %0 = spore.scatter_add %u into %x[%idx] axis = 0 : tensor<3x3xf32> into tensor<5x3xf32>, tensor<4xi32>
  spore.return
}

// -----

spore.func @f(%x: tensor<3xf32>) {
  // expected-error @+1 {{'spore.print' op needs one more text (1) than values (1)}}
  spore.print ["x = "] %x : tensor<3xf32>
  spore.return
}

// -----

// expected-error @+1 {{'spore.parameter' op initialiser must be const, uniform or normal, got 'xavier'}}
spore.parameter "net.w" : tensor<3xf32> "xavier" [1.0]

// -----

// expected-error @+1 {{'spore.parameter' op initialiser 'uniform' takes 2 arguments, got 1}}
spore.parameter "net.w" : tensor<3xf32> "uniform" [1.0]

// -----

// expected-error @+1 {{'spore.parameter' op name must be non-empty printable ASCII without spaces, got 'net w'}}
spore.parameter "net w" : tensor<3xf32> "const" [0.0]

// -----

spore.func private @loss(%x: tensor<3xf32>, %n: tensor<3xi32>) -> tensor<f32> {
  %0 = spore.sum %x axes = [0] : tensor<3xf32> -> tensor<f32>
  spore.return %0 : tensor<f32>
}
spore.func @f(%x: tensor<3xf32>, %n: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error @+1 {{'spore.grad' op operand 1 is differentiated but is not a float tensor}}
  %0 = spore.grad @loss(%x, %n) wrt = [1] : (tensor<3xf32>, tensor<3xi32>) -> tensor<3xi32>
  spore.return %0 : tensor<3xi32>
}

// -----

spore.func private @loss(%x: tensor<3xf32>) -> tensor<f32> {
  %0 = spore.sum %x axes = [0] : tensor<3xf32> -> tensor<f32>
  spore.return %0 : tensor<f32>
}
spore.func @f(%x: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'spore.grad' op wrt index 2 is out of range}}
  %0 = spore.grad @loss(%x) wrt = [2] : (tensor<3xf32>) -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// -----

spore.func private @vector(%x: tensor<3xf32>) -> tensor<3xf32> {
  spore.return %x : tensor<3xf32>
}
spore.func @f(%x: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'spore.grad' op 'vector' must return a 0-d float tensor first, not 'tensor<3xf32>'}}
  %0 = spore.grad @vector(%x) wrt = [0] : (tensor<3xf32>) -> tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}

// -----

spore.func private @loss(%x: tensor<3xf32>) -> tensor<f32> {
  %0 = spore.sum %x axes = [0] : tensor<3xf32> -> tensor<f32>
  spore.return %0 : tensor<f32>
}
spore.func @f(%x: tensor<3xf32>) -> tensor<f32> {
  // expected-error @+1 {{'spore.grad' op result types must be the types of the differentiated operands}}
  %0:2 = spore.grad @loss(%x) wrt = [0] : (tensor<3xf32>) -> (tensor<f32>, tensor<3xf32>)
  spore.return %0#0 : tensor<f32>
}

// -----

spore.func private @double(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = spore.add %x, %x : tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}
spore.func @f(%x: tensor<3xf32>, %c: tensor<f32>) -> tensor<3xf32> {
  // expected-error @+1 {{'spore.vjp' op cotangent types must be the results of 'double'}}
  %y, %g = spore.vjp @double(%x) cotangents(%c) wrt = [0] : (tensor<3xf32>), (tensor<f32>) -> (tensor<3xf32>, tensor<3xf32>)
  spore.return %g : tensor<3xf32>
}

// -----

spore.func private @triple(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = spore.add %x, %x : tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}
spore.func @f(%x: tensor<3xf32>, %t: tensor<2xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'spore.jvp' op tangent types must be those of the differentiated primals}}
  %y, %ty = spore.jvp @triple(%x) tangents(%t) wrt = [0] : (tensor<3xf32>), (tensor<2xf32>) -> (tensor<3xf32>, tensor<3xf32>)
  spore.return %ty : tensor<3xf32>
}

// -----

spore.func private @quad(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = spore.add %x, %x : tensor<3xf32>
  spore.return %0 : tensor<3xf32>
}
spore.func @f(%x: tensor<3xf32>, %t: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'spore.jvp' op result types must be the callee's results, twice (values, then tangents)}}
  %y, %ty = spore.jvp @quad(%x) tangents(%t) wrt = [0] : (tensor<3xf32>), (tensor<3xf32>) -> (tensor<3xf32>, tensor<f32>)
  spore.return %y : tensor<3xf32>
}

// -----

spore.func @f(%x: tensor<3xf32>, %t: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'spore.jvp' op takes one tangent per differentiated primal}}
  %y, %ty = spore.jvp @f(%x, %t) tangents(%t) wrt = [0, 1] : (tensor<3xf32>, tensor<3xf32>), (tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
  spore.return %ty : tensor<3xf32>
}

// -----

spore.func @f(%x: tensor<3xf32>, %t: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'spore.jvp' op 'missing' is not a spore.func}}
  %y, %ty = spore.jvp @missing(%x) tangents(%t) wrt = [0] : (tensor<3xf32>), (tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
  spore.return %ty : tensor<3xf32>
}

// -----

spore.func private @half(%x: tensor<2xf32>) -> tensor<2xf32> {
  spore.return %x : tensor<2xf32>
}
spore.func @f(%x: tensor<3xf32>, %t: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'spore.jvp' op primal types do not match 'half'}}
  %y, %ty = spore.jvp @half(%x) tangents(%t) wrt = [0] : (tensor<3xf32>), (tensor<3xf32>) -> (tensor<2xf32>, tensor<2xf32>)
  spore.return %t : tensor<3xf32>
}

// -----

spore.func @holes(%c: tensor<i1>, %i: tensor<i64>) {
  // expected-error @+1 {{'spore.assert' op message has 2 '{}' for 1 values}}
  spore.assert %c, "{} and {}"(%i : tensor<i64>) : tensor<i1>
  spore.return
}

// -----

spore.func @polygamma_order(%x: tensor<3xf64>) -> tensor<3xf64> {
  // expected-error @+1 {{'spore.polygamma' op order must be in [1, 16], got 0}}
  %0 = spore.polygamma %x order = 0 : tensor<3xf64>
  spore.return %0 : tensor<3xf64>
}

// -----

spore.parameter "net.w" : tensor<3xf32> "const" [0.0]
spore.func @f(%w: tensor<3xf32>, %x: tensor<3xf64>) -> tensor<3xf32> {
  // expected-error @+1 {{'spore.assign' op assigns 'tensor<3xf64>' to the Parameter 'net.w' of type 'tensor<3xf32>'}}
  spore.assign "net.w", %x : tensor<3xf64>
  spore.return %w : tensor<3xf32>
}

// -----

spore.parameter "net.w" : tensor<3xf32> "const" [0.0]
spore.func @f(%w: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'spore.assign' op assigns to 'net.b', which is no Parameter of the module}}
  spore.assign "net.b", %w : tensor<3xf32>
  spore.return %w : tensor<3xf32>
}

// -----

func.func @f(%n: i64) {
  // expected-error @+1 {{'spore.parallel' op body must take the range as two i64 arguments (begin, end)}}
  spore.parallel %n {
  ^bb0(%b: index):
    spore.parallel_yield
  }
  return
}
