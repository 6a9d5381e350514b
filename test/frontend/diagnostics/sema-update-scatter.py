# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-update-scatter.py:5:7: error: updating through an integer array (a scatter) is not supported yet; use scatter_add
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    x[i] = 1.0
    return x
