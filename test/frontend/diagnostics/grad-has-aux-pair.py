# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}grad-has-aux-pair.py:5:12: error: with has_aux=True the function must return a pair (value, aux), not a tensor f32
@export
def f(x: f32[3]) -> f32[3]:
    return grad(sum, has_aux=True)(x)
