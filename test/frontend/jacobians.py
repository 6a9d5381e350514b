# RUN: sporec %s --emit=spore | FileCheck %s
# jacrev, jacfwd and hessian are one spore.jacobian each, whatever the
# size (spore-differentiate makes it a loop); hessian is the forward
# Jacobian of a function holding the reverse one.
# CHECK-LABEL: spore.func @g
# CHECK: spore.jacobian @[[F:.*]](%arg0) wrt = 0 : (tensor<3xf32>) -> tensor<3x3xf32>
# CHECK: spore.jacobian @[[F]](%arg0) wrt = 0 forward : (tensor<3xf32>) -> tensor<3x3xf32>
# CHECK: spore.jacobian @[[H:.*]](%arg0) wrt = 0 forward : (tensor<3xf32>) -> tensor<3x3xf32>
# CHECK-NOT: spore.vjp
# CHECK-NOT: spore.jvp
# CHECK: spore.func private @[[H]](
# CHECK: spore.jacobian @{{.*}}(%arg0) wrt = 0 : (tensor<3xf32>) -> tensor<3xf32>
def f(x):
    return tanh(x * 2.0)


@export
def g(x: f32[3]) -> tuple[f32[3, 3], f32[3, 3], f32[3, 3]]:
    return jacrev(f)(x), jacfwd(f)(x), hessian(lambda v: sum(f(v)))(x)
