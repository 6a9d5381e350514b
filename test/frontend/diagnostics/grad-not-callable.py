# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}grad-not-callable.py:5:17: error: grad takes a function to differentiate, not a tensor f32[3]
@export
def f(x: f32[3]) -> f32[3]:
    return grad(x)(x)
