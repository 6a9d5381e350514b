# RUN: not sporec %s -o /dev/null 2>&1 | FileCheck %s
# CHECK: {{.*}}grad-loop-too-long.py:5:5: error: cannot differentiate a loop of 5000 iterations yet: loops are differentiated by unrolling them, up to 4096 iterations
def f(x):
    h = x
    for i in range(5000):
        h = h * 0.999
    return h

@export
def g(x: f32) -> f32:
    return grad(f)(x)
