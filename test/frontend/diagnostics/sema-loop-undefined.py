# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-loop-undefined.py:8:12: error: 'y' may be undefined here: it is only assigned inside the 'for' loop at line 5, which may run zero times
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    for k in range(3):
        y = x * k

    return y
