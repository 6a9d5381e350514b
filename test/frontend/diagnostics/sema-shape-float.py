# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-shape-float.py:5:{{[0-9]+}}: error: a shape needs compile-time ints, got a float
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    return zeros((2.0, 3))
