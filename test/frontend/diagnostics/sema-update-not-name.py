# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-update-not-name.py:5:14: error: only a variable can be updated by index (x[i] = v)
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    (x + 1.0)[0] = 1.0
    return x
