# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-loop-type-change.py:6:5: error: variable 't' is f32 before the loop but f32[2, 3] after an iteration; a loop-carried variable must keep its type
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    t = 0.0
    for k in range(3):
        t = t + x
    return x
