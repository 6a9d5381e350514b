# RUN: not sporec %s -o /dev/null 2>&1 | FileCheck %s
# CHECK: {{.*}}grad-custom-vjp-parameter.py:18:31: error: a @custom_vjp function reads a Parameter that is being differentiated; its rule gives cotangents of its arguments only (pass the Parameter as an argument)
scale = Parameter(ones((3,)))


@custom_vjp
def scaled(x):
    return x * scale


@scaled.defvjp
def scaled_rule(x, out, g):
    return (g * scale,)


@export
def g(x: f32[3]) -> f32[3]:
    return grad(lambda x: sum(scaled(x)), wrt=scale)(x)
