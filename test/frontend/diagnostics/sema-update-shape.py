# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-update-shape.py:5:6: error: a value of shape [2] cannot be assigned to a region of shape [3]
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    x[0] = x[:, 0]
    return x
