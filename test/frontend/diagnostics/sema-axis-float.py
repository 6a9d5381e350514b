# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-axis-float.py:5:{{[0-9]+}}: error: axis must be a compile-time int or tuple of ints, got a float
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    return sum(x, axis=1.0)
