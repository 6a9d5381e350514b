# RUN: not sporec %s -o /dev/null 2>&1 | FileCheck %s
# CHECK: {{.*}}grad-control-flow.py:5:5: error: cannot differentiate through control flow ('scf.if') yet: only straight-line code is differentiated so far
def f(x):
    y = x * 2.0
    if y > 0.0:
        y = y * y
    return y

@export
def g(x: f32) -> f32:
    return grad(f)(x)
