# RUN: not sporec %s -o /dev/null 2>&1 | FileCheck %s
# CHECK: {{.*}}grad-control-flow.py:6:5: error: cannot differentiate through control flow ('scf.while') yet: only straight-line code and 'if' are differentiated so far
def f(x, n):
    y = x * 2.0
    k = 0
    while k < n:
        y = y * y
        k = k + 1
    return y

@export
def g(x: f32, n: i64) -> f32:
    return grad(f)(x, n)
