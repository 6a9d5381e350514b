# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}grad-custom-vjp-no-rule.py:10:12: error: 'f' is a @custom_vjp function without a rule: define one with @f.defvjp
@custom_vjp
def f(x):
    return x * 2.0


@export
def g(x: f32[3]) -> f32[3]:
    return f(x)
