# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-and-runtime.py:5:{{[0-9]+}}: error: an operand of 'and' must be a scalar, got f32[2, 3] (reduce it with any() or all(), or compare elements one by one)
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    y = x and x
    return x
