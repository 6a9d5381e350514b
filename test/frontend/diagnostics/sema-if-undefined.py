# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-if-undefined.py:9:12: error: 'y' may be undefined here: it is only assigned on some paths through the 'if' at line 5
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    if x.sum() > 0:
        y = x
    else:
        pass
    return y
