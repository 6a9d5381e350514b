# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}grad-custom-vjp-bad-rule.py:10:5: error: the rule of 'f' must return a tuple of 2 cotangents, one per argument, not a tensor f32[3]
# CHECK: {{.*}}grad-custom-vjp-bad-rule.py:20:5: error: the rule of 'h' returns a tensor f32[2] as the cotangent of argument 0, which needs f32[3] (or None)
@custom_vjp
def f(x, y):
    return x * y


@f.defvjp
def f_rule(x, y, out, g):
    return g


@custom_vjp
def h(x):
    return x * 2.0


@h.defvjp
def h_rule(x, out, g):
    return (g[:2],)


@export
def g1(x: f32[3]) -> f32[3]:
    return grad(lambda x: sum(f(x, x)))(x)


@export
def g2(x: f32[3]) -> f32[3]:
    return grad(lambda x: sum(h(x)))(x)
