# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-range-args.py:5:14: error: range() takes 1 to 3 arguments, got 4
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    for k in range(0, 1, 2, 3):
        pass
    return x
