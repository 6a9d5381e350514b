# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-index-too-many.py:5:11: error: too many indices (3) for a tensor of rank 2
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    y = x[0, 1, 2]
    return x
