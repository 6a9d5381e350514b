# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-negative-shape.py:5:{{[0-9]+}}: error: negative dimension -3 in a shape
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    return zeros((2, -3))
