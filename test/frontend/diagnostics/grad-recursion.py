# RUN: not sporec %s -o /dev/null 2>&1 | FileCheck %s
# CHECK: {{.*}}grad-recursion.py:{{[0-9]+}}:{{[0-9]+}}: error: cannot differentiate through the recursive function 'power' yet
def power(x, n):
    if n == 0:
        return x * 0.0 + 1.0
    return x * power(x, n - 1)

@export
def g(x: f32, n: i64) -> f32:
    return grad(power)(x, n)
