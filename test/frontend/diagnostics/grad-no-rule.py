# RUN: not sporec %s -o /dev/null 2>&1 | FileCheck %s
# CHECK: {{.*}}grad-no-rule.py:5:16: error: 'spore.conv2d' has no derivative rule yet, and it is on the path being differentiated
# CHECK-NEXT: {{^}}    return sum(conv2d(x, w))
def f(x, w):
    return sum(conv2d(x, w))

@export
def g(x: f32[1, 3, 3, 1], w: f32[2, 2, 1, 1]) -> f32[1, 3, 3, 1]:
    return grad(f)(x, w)
