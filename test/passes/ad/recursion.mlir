// RUN: spore-opt %s -verify-each --spore-differentiate | FileCheck %s

// A recursive function is differentiated as calls: the call of itself in
// its body becomes a call of its own derivative. Reverse mode: the vjp
// evaluates the callee (a primal call) and pulls the cotangent back
// through the vjp of the callee; forward mode: the jvp calls the jvp.

spore.func private @power(%x: tensor<3xf64>, %n: tensor<i64>) -> tensor<3xf64> {
  %zero = spore.constant dense<0> : tensor<i64>
  %one = spore.constant dense<1> : tensor<i64>
  %base = spore.compare eq, %n, %zero : tensor<i64>
  %c = tensor.extract %base[] : tensor<i1>
  %r = scf.if %c -> (tensor<3xf64>) {
    %ones = spore.constant dense<1.0> : tensor<3xf64>
    scf.yield %ones : tensor<3xf64>
  } else {
    %m = spore.sub %n, %one : tensor<i64>
    %inner = spore.call @power(%x, %m) : (tensor<3xf64>, tensor<i64>) -> tensor<3xf64>
    %p = spore.mul %x, %inner : tensor<3xf64>
    scf.yield %p : tensor<3xf64>
  }
  spore.return %r : tensor<3xf64>
}

// CHECK-LABEL: spore.func private @power.jvp(
// CHECK-SAME: -> (tensor<3xf64>, tensor<3xf64>)
// CHECK: spore.call @power.jvp(%arg0, %{{.*}}, %arg2) : (tensor<3xf64>, tensor<i64>, tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>)

// CHECK-LABEL: spore.func private @power.vjp(
// CHECK-SAME: -> (tensor<3xf64>, tensor<3xf64>) attributes {spore.no_inline}
// CHECK: spore.call @power(%arg0, %[[M:.*]]) :
// CHECK: spore.call @power.vjp(%arg0, %[[M]], %{{.*}}) {spore.no_inline} : (tensor<3xf64>, tensor<i64>, tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>)

// CHECK-LABEL: spore.func @g(
// CHECK: spore.call @sum_power.grad(
// CHECK: spore.call @power.jvp(

// CHECK-LABEL: spore.func private @sum_power.grad(
// CHECK: spore.call @power.vjp(
spore.func @g(%x: tensor<3xf64>, %n: tensor<i64>, %t: tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>) attributes {spore.export} {
  %s = spore.call @sum_power(%x, %n) : (tensor<3xf64>, tensor<i64>) -> tensor<f64>
  %g = spore.grad @sum_power(%x, %n) wrt = [0] : (tensor<3xf64>, tensor<i64>) -> tensor<3xf64>
  %y, %dy = spore.jvp @power(%x, %n) tangents(%t) wrt = [0] : (tensor<3xf64>, tensor<i64>), (tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>)
  spore.return %g, %dy : tensor<3xf64>, tensor<3xf64>
}

spore.func private @sum_power(%x: tensor<3xf64>, %n: tensor<i64>) -> tensor<f64> {
  %p = spore.call @power(%x, %n) : (tensor<3xf64>, tensor<i64>) -> tensor<3xf64>
  %s = spore.sum %p axes = [0] : tensor<3xf64> -> tensor<f64>
  spore.return %s : tensor<f64>
}
