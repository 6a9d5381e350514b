# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}grad-custom-vjp-call.py:5:12: error: custom_vjp is a decorator: write @custom_vjp above a module-level def, and its rule under @f.defvjp
@export
def f(x: f32[3]) -> f32[3]:
    return custom_vjp(tanh)(x)
