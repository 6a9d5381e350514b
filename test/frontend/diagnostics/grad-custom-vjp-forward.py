# RUN: not sporec %s -o /dev/null 2>&1 | FileCheck %s
# CHECK: {{.*}}grad-custom-vjp-forward.py:15:30: error: forward-mode differentiation through a @custom_vjp function is not supported (its rule is for reverse mode)
@custom_vjp
def f(x):
    return x * 2.0


@f.defvjp
def f_rule(x, out, g):
    return (g * 2.0,)


@export
def g(x: f32[3], t: f32[3]) -> f32:
    return jvp(lambda x: sum(f(x)), (x,), (t,))[1]
