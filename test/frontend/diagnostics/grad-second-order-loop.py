# RUN: not sporec %s -o /dev/null 2>&1 | FileCheck %s
# CHECK: {{.*}}grad-second-order-loop.py:7:5: error: cannot differentiate twice through a loop that is not unrolled yet (second order through a loop with a run-time trip count or more than 16 iterations)
# CHECK-NEXT: {{^}}    for i in range(n):
# CHECK-NEXT: {{^}}    ^
def f(x, n):
    h = x
    for i in range(n):
        h = sin(h) * 0.5
    return h

@export
def g(x: f32, n: i64) -> f32:
    return grad(grad(f))(x, n)
