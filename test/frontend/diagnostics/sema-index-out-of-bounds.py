# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-index-out-of-bounds.py:5:11: error: index 2 is out of bounds for axis 0 with size 2
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    y = x[2]
    return x
