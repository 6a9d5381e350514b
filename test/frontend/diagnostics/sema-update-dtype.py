# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-update-dtype.py:5:6: error: cannot assign i32[3] values into f32[2, 3]; convert them with astype first
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    x[0] = i
    return x
