# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-if-type-mismatch.py:5:5: error: variable 'y' is f32[2, 3] on one branch and i32[3] on the other; both branches must leave it with the same type
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    if x.sum() > 0:
        y = x
    else:
        y = i
    return x
