# RUN: not sporec %s -o /dev/null 2>&1 | FileCheck %s
# CHECK: {{.*}}grad-second-order-loop.py:7:5: error: cannot differentiate twice in reverse mode through a loop that is not unrolled yet (a run-time trip count or more than 16 iterations); forward over reverse works: hessian(f), jacfwd(grad(f)), jvp of grad(f)
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
