# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}grad-custom-vjp-not-custom.py:7:2: error: @f.defvjp needs 'f' to be a module-level function decorated with @custom_vjp
def f(x):
    return x * 2.0


@f.defvjp
def f_rule(x, out, g):
    return (g,)


@export
def g(x: f32[3]) -> f32[3]:
    return f(x)
