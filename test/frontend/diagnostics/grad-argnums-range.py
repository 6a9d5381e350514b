# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}grad-argnums-range.py:5:12: error: argnums 2 is out of range: the function is called with 1 positional arguments
@export
def f(x: f32[3]) -> f32[3]:
    return grad(sum, argnums=2)(x)
