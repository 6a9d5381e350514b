// RUN: spore-opt %s -verify-each | spore-opt -verify-each | FileCheck %s

// Every op of the dialect prints and parses back unchanged.
// CHECK-LABEL: spore.func @ops
// CHECK-SAME: {spore.name = "x"}
// CHECK-SAME: attributes {spore.export}
spore.func @ops(%x: tensor<2x3xf32> {spore.name = "x"}, %v: tensor<3xf32>,
                %i: tensor<2x3xi32>) -> tensor<3x2xf32> attributes {spore.export} {
  // CHECK: spore.constant dense<1.000000e+00> : tensor<2x3xf32>
  %c = spore.constant dense<1.0> : tensor<2x3xf32>
  // CHECK: spore.broadcast_to %{{.*}} : tensor<3xf32> -> tensor<2x3xf32>
  %b = spore.broadcast_to %v : tensor<3xf32> -> tensor<2x3xf32>
  // CHECK: spore.add %{{.*}}, %{{.*}} : tensor<2x3xf32>
  %0 = spore.add %x, %b : tensor<2x3xf32>
  // CHECK: spore.sub
  %1 = spore.sub %0, %c : tensor<2x3xf32>
  // CHECK: spore.mul
  %2 = spore.mul %1, %c : tensor<2x3xf32>
  // CHECK: spore.div
  %3 = spore.div %2, %c : tensor<2x3xf32>
  // CHECK: spore.maximum
  %4 = spore.maximum %3, %c : tensor<2x3xf32>
  // CHECK: spore.minimum
  %5 = spore.minimum %4, %c : tensor<2x3xf32>
  // CHECK: spore.pow
  %6 = spore.pow %5, %c : tensor<2x3xf32>
  // CHECK: spore.neg
  %7 = spore.neg %6 : tensor<2x3xf32>
  // CHECK: spore.exp
  %8 = spore.exp %7 : tensor<2x3xf32>
  // CHECK: spore.log
  %9 = spore.log %8 : tensor<2x3xf32>
  // CHECK: spore.tanh
  %10 = spore.tanh %9 : tensor<2x3xf32>
  // CHECK: spore.sigmoid
  %11 = spore.sigmoid %10 : tensor<2x3xf32>
  // CHECK: spore.relu
  %12 = spore.relu %11 : tensor<2x3xf32>
  // CHECK: spore.cast %{{.*}} : tensor<2x3xi32> -> tensor<2x3xf32>
  %13 = spore.cast %i : tensor<2x3xi32> -> tensor<2x3xf32>
  // CHECK: spore.sum %{{.*}} axes = [1] keepdims : tensor<2x3xf32> -> tensor<2x1xf32>
  %14 = spore.sum %13 axes = [1] keepdims : tensor<2x3xf32> -> tensor<2x1xf32>
  // CHECK: spore.mean %{{.*}} axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  %15 = spore.mean %12 axes = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  // CHECK: spore.max %{{.*}} axes = [0] : tensor<2x3xf32> -> tensor<3xf32>
  %16 = spore.max %12 axes = [0] : tensor<2x3xf32> -> tensor<3xf32>
  // CHECK: spore.softmax %{{.*}} axis = 1 : tensor<2x3xf32>
  %17 = spore.softmax %12 axis = 1 : tensor<2x3xf32>
  // CHECK: spore.log_softmax %{{.*}} axis = 0 : tensor<2x3xf32>
  %18 = spore.log_softmax %17 axis = 0 : tensor<2x3xf32>
  // CHECK: spore.reshape %{{.*}} : tensor<2x3xf32> -> tensor<6xf32>
  %19 = spore.reshape %18 : tensor<2x3xf32> -> tensor<6xf32>
  // CHECK: spore.transpose %{{.*}} permutation = [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  %20 = spore.transpose %18 permutation = [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  // CHECK: spore.matmul %{{.*}}, %{{.*}} : tensor<3xf32>, tensor<3x2xf32> -> tensor<2xf32>
  %21 = spore.matmul %v, %20 : tensor<3xf32>, tensor<3x2xf32> -> tensor<2xf32>
  // CHECK: spore.call @helper
  %22 = spore.call @helper(%20) : (tensor<3x2xf32>) -> tensor<3x2xf32>
  spore.return %22 : tensor<3x2xf32>
}

// CHECK-LABEL: spore.func private @helper
spore.func private @helper(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  spore.return %x : tensor<3x2xf32>
}

// Function values have their own type.
// CHECK-LABEL: spore.func private @takes_fn
// CHECK-SAME: !spore.fn<(tensor<f32>) -> tensor<f32>>
spore.func private @takes_fn(%f: !spore.fn<(tensor<f32>) -> tensor<f32>>)

// Comparisons, logic and selection.
// CHECK-LABEL: spore.func @logic
spore.func @logic(%x: tensor<4xf32>, %y: tensor<4xf32>, %i: tensor<4xi32>) -> (tensor<4xf32>, tensor<4xi32>) {
  // CHECK: %[[M:.*]] = spore.compare lt, %{{.*}}, %{{.*}} : tensor<4xf32>
  %m = spore.compare lt, %x, %y : tensor<4xf32>
  // CHECK: spore.compare ne, %{{.*}}, %{{.*}} : tensor<4xi32>
  %n = spore.compare ne, %i, %i : tensor<4xi32>
  // CHECK: spore.and %[[M]], %{{.*}} : tensor<4xi1>
  %a = spore.and %m, %n : tensor<4xi1>
  // CHECK: spore.or
  %o = spore.or %a, %m : tensor<4xi1>
  // CHECK: spore.xor
  %e = spore.xor %o, %n : tensor<4xi1>
  // CHECK: spore.not %{{.*}} : tensor<4xi1>
  %t = spore.not %e : tensor<4xi1>
  // CHECK: spore.not %{{.*}} : tensor<4xi32>
  %b = spore.not %i : tensor<4xi32>
  // CHECK: spore.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<4xi1>, tensor<4xf32>
  %s = spore.select %t, %x, %y : tensor<4xi1>, tensor<4xf32>
  spore.return %s, %b : tensor<4xf32>, tensor<4xi32>
}

// Indexing.
// CHECK-LABEL: spore.func @indexing
spore.func @indexing(%x: tensor<8x5xf32>, %i: tensor<i64>, %idx: tensor<3xi32>, %u: tensor<2x5xf32>) -> (tensor<3x5xf32>, tensor<1x5xf32>, tensor<3x5xf32>, tensor<8x5xf32>, tensor<8x5xf32>) {
  // CHECK: spore.slice %{{.*}} starts = [1, 4] steps = [2, -1] : tensor<8x5xf32> -> tensor<3x5xf32>
  %0 = spore.slice %x starts = [1, 4] steps = [2, -1] : tensor<8x5xf32> -> tensor<3x5xf32>
  // CHECK: spore.dynamic_slice %{{.*}}[%{{.*}}, %{{.*}}] : tensor<8x5xf32> -> tensor<1x5xf32>
  %1 = spore.dynamic_slice %x[%i, %i] : tensor<8x5xf32> -> tensor<1x5xf32>
  // CHECK: spore.gather %{{.*}}[%{{.*}}] axis = 0 : tensor<8x5xf32>, tensor<3xi32> -> tensor<3x5xf32>
  %2 = spore.gather %x[%idx] axis = 0 : tensor<8x5xf32>, tensor<3xi32> -> tensor<3x5xf32>
  // CHECK: spore.update_slice %{{.*}} into %{{.*}} starts = [2, 0] steps = [3, 1] : tensor<2x5xf32> into tensor<8x5xf32>
  %3 = spore.update_slice %u into %x starts = [2, 0] steps = [3, 1] : tensor<2x5xf32> into tensor<8x5xf32>
  // CHECK: spore.dynamic_update_slice %{{.*}} into %{{.*}}[%{{.*}}, %{{.*}}] : tensor<2x5xf32> into tensor<8x5xf32>
  %4 = spore.dynamic_update_slice %u into %x[%i, %i] : tensor<2x5xf32> into tensor<8x5xf32>
  spore.return %0, %1, %2, %3, %4 : tensor<3x5xf32>, tensor<1x5xf32>, tensor<3x5xf32>, tensor<8x5xf32>, tensor<8x5xf32>
}

// Convolution and pooling.
// CHECK-LABEL: spore.func @windows
spore.func @windows(%x: tensor<2x8x8x3xf32>, %w: tensor<3x3x3x4xf32>) -> (tensor<2x4x4x4xf32>, tensor<2x4x4x3xf32>) {
  // CHECK: spore.conv2d %{{.*}}, %{{.*}} strides = [2, 2] dilations = [1, 1] padding = [1, 1, 1, 1] groups = 1
  %0 = spore.conv2d %x, %w strides = [2, 2] dilations = [1, 1] padding = [1, 1, 1, 1] groups = 1 : tensor<2x8x8x3xf32>, tensor<3x3x3x4xf32> -> tensor<2x4x4x4xf32>
  // CHECK: spore.pool2d avg %{{.*}} window = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0]
  %1 = spore.pool2d avg %x window = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] : tensor<2x8x8x3xf32> -> tensor<2x4x4x3xf32>
  spore.return %0, %1 : tensor<2x4x4x4xf32>, tensor<2x4x4x3xf32>
}

// CHECK-LABEL: spore.func @scan
spore.func @scan(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  // CHECK: spore.cumsum %{{.*}} axis = 1 : tensor<2x5xf32>
  %0 = spore.cumsum %x axis = 1 : tensor<2x5xf32>
  spore.return %0 : tensor<2x5xf32>
}

// CHECK-LABEL: spore.func @random
spore.func @random(%key: tensor<2xi32>) -> (tensor<3x4xf32>, tensor<5xi32>) {
  // CHECK: spore.random %{{.*}} : tensor<2xi32> -> tensor<3x4xf32>
  %0 = spore.random %key : tensor<2xi32> -> tensor<3x4xf32>
  // CHECK: spore.random %{{.*}} : tensor<2xi32> -> tensor<5xi32>
  %1 = spore.random %key : tensor<2xi32> -> tensor<5xi32>
  spore.return %0, %1 : tensor<3x4xf32>, tensor<5xi32>
}

// CHECK-LABEL: spore.func @scatter
spore.func @scatter(%x: tensor<5x3xf32>, %idx: tensor<4xi32>, %u: tensor<4x3xf32>) -> tensor<5x3xf32> {
  // CHECK: spore.scatter_add %{{.*}} into %{{.*}}[%{{.*}}] axis = 0 : tensor<4x3xf32> into tensor<5x3xf32>, tensor<4xi32>
  %0 = spore.scatter_add %u into %x[%idx] axis = 0 : tensor<4x3xf32> into tensor<5x3xf32>, tensor<4xi32>
  spore.return %0 : tensor<5x3xf32>
}

// CHECK-LABEL: spore.func @printing
spore.func @printing(%x: tensor<3xf32>) {
  // CHECK: spore.print ["x = ", "\0A"] %{{.*}} : tensor<3xf32>
  spore.print ["x = ", "\n"] %x : tensor<3xf32>
  // CHECK: spore.print ["hello\0A"]
  spore.print ["hello\n"]
  spore.return
}

// CHECK-LABEL: spore.func @special
spore.func @special(%x: tensor<3xf64>) -> tensor<3xf64> {
  // CHECK: spore.lgamma %{{.*}} : tensor<3xf64>
  %0 = spore.lgamma %x : tensor<3xf64>
  // CHECK: spore.digamma %{{.*}} : tensor<3xf64>
  %1 = spore.digamma %0 : tensor<3xf64>
  // CHECK: spore.polygamma %{{.*}} order = 2 : tensor<3xf64>
  %2 = spore.polygamma %1 order = 2 : tensor<3xf64>
  spore.return %2 : tensor<3xf64>
}

// CHECK-LABEL: spore.func @checking
spore.func @checking(%c: tensor<i1>, %i: tensor<i64>) {
  // CHECK: spore.assert %{{.*}}, "m.py:3: assertion failed" : tensor<i1>
  spore.assert %c, "m.py:3: assertion failed" : tensor<i1>
  // CHECK: spore.assert %{{.*}}, "m.py:4:9: index {} is out of bounds"(%{{.*}} : tensor<i64>) {precondition} : tensor<i1>
  spore.assert %c, "m.py:4:9: index {} is out of bounds"(%i : tensor<i64>) {precondition} : tensor<i1>
  // A message without values is literal text, braces included.
  // CHECK: spore.assert %{{.*}}, "x == {}" : tensor<i1>
  spore.assert %c, "x == {}" : tensor<i1>
  spore.return
}

// CHECK: spore.parameter "net.fc.weight" : tensor<4x8xf32> "uniform" [-5.000000e-01, 5.000000e-01]
// CHECK: spore.parameter "net.fc.bias" : tensor<8xf32> "const" [0.000000e+00]
// CHECK: spore.parameter "net.emb" : tensor<8xbf16> "normal" [2.000000e-02]
spore.parameter "net.fc.weight" : tensor<4x8xf32> "uniform" [-0.5, 0.5]
spore.parameter "net.fc.bias" : tensor<8xf32> "const" [0.0]
spore.parameter "net.emb" : tensor<8xbf16> "normal" [0.02]

// CHECK-LABEL: spore.func @transforms
// CHECK: spore.stop_gradient %{{.*}} : tensor<3xf32>
// CHECK: spore.grad @loss(%{{.*}}) wrt = [0] with_value : (tensor<3xf32>) -> (tensor<f32>, tensor<3xf32>)
spore.func private @loss(%x: tensor<3xf32>) -> tensor<f32> {
  %0 = spore.sum %x axes = [0] : tensor<3xf32> -> tensor<f32>
  spore.return %0 : tensor<f32>
}
spore.func @transforms(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<f32>, tensor<3xf32>) {
  %0 = spore.stop_gradient %x : tensor<3xf32>
  %v, %g = spore.grad @loss(%0) wrt = [0] with_value : (tensor<3xf32>) -> (tensor<f32>, tensor<3xf32>)
  spore.return %0, %v, %g : tensor<3xf32>, tensor<f32>, tensor<3xf32>
}

// CHECK-LABEL: spore.func @pullback
// CHECK: spore.vjp @loss(%{{.*}}) cotangents(%{{.*}}) wrt = [0] : (tensor<3xf32>), (tensor<f32>) -> (tensor<f32>, tensor<3xf32>)
spore.func @pullback(%x: tensor<3xf32>, %c: tensor<f32>) -> tensor<3xf32> {
  %y, %g = spore.vjp @loss(%x) cotangents(%c) wrt = [0] : (tensor<3xf32>), (tensor<f32>) -> (tensor<f32>, tensor<3xf32>)
  spore.return %g : tensor<3xf32>
}

// CHECK-LABEL: spore.func @pushforward
// CHECK: spore.jvp @loss(%{{.*}}) tangents(%{{.*}}) wrt = [0] : (tensor<3xf32>), (tensor<3xf32>) -> (tensor<f32>, tensor<f32>)
spore.func @pushforward(%x: tensor<3xf32>, %t: tensor<3xf32>) -> tensor<f32> {
  %y, %ty = spore.jvp @loss(%x) tangents(%t) wrt = [0] : (tensor<3xf32>), (tensor<3xf32>) -> (tensor<f32>, tensor<f32>)
  spore.return %ty : tensor<f32>
}

// CHECK: spore.parameter "opt.step" : tensor<i64> "const" [0.000000e+00]
spore.parameter "opt.step" : tensor<i64> "const" [0.0]
// CHECK-LABEL: spore.func @state
spore.func @state(%step: tensor<i64>) {
  %one = spore.constant dense<1> : tensor<i64>
  %next = spore.add %step, %one : tensor<i64>
  // CHECK: spore.assign "opt.step", %{{.*}} : tensor<i64>
  spore.assign "opt.step", %next : tensor<i64>
  spore.return
}
