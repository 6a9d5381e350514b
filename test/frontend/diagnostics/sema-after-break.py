# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-after-break.py:8:13: error: code after 'break' is unreachable
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    for k in range(3):
        if k > 1:
            break
            x = x + 1.0
    return x
