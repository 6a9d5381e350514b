# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-update-tuple.py:6:5: error: a tuple of 2 cannot be updated by index; only tensors can
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    t = (x, x)
    t[0] = x
    return x
