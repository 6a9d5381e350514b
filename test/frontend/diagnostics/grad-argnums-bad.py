# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}grad-argnums-bad.py:5:22: error: argnums must be a non-negative compile-time int or a non-empty tuple of them, got the int -1
@export
def f(x: f32[3]) -> f32[3]:
    return grad(sum, argnums=-1)(x)
