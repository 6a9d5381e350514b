# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-recursion-type.py:6:5: error: the returned value is f64[3] on one branch and f32[3] on the other; both branches must leave it with the same type
def g(x, n):
    if n <= 0:
        return x
    y = g(x, n - 1)
    return y.astype(f64)


@export
def f(x: f32[3], n: i64) -> f64[3]:
    return g(x, n)
