# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-range-zero-step.py:5:26: error: range() step must not be zero
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    for k in range(0, 3, 0):
        pass
    return x
