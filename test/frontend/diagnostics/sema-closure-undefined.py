# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-closure-undefined.py:7:23: error: 'k' may be undefined here: it is only assigned on some paths through the 'if' at line 5
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    if x.sum() > 0:
        k = x
    g = lambda a: a + k
    return g(x)
