// RUN: spore-opt %s -verify-each --spore-lower-to-linalg | FileCheck %s

// The exports' C signatures, which bufferisation erases, are kept on the
// module for spore-emit-c-abi: parameters by name after the state, results
// without the new values of the state (spore.state_writes). Functions that
// are not exported are left out.
// CHECK: module attributes {spore.exports = "step x:f32[3] c:bool[] -> f32[3] i64[]\0Aplain arg0:f32[2,2] ->\0A"}
spore.parameter "w" : tensor<3xf32> "const" [0.0]
spore.func @step(%w: tensor<3xf32> {spore.state = "w"}, %x: tensor<3xf32> {spore.name = "x"}, %c: tensor<i1> {spore.name = "c"}) -> (tensor<3xf32>, tensor<i64>, tensor<3xf32>) attributes {spore.export, spore.state_writes = array<i64: 0>} {
  %n = spore.constant dense<1> : tensor<i64>
  %y = spore.add %w, %x : tensor<3xf32>
  spore.return %y, %n, %y : tensor<3xf32>, tensor<i64>, tensor<3xf32>
}
spore.func @helper(%x: tensor<3xf32>) -> tensor<3xf32> {
  spore.return %x : tensor<3xf32>
}
spore.func @plain(%a: tensor<2x2xf32>) attributes {spore.export} {
  spore.return
}
