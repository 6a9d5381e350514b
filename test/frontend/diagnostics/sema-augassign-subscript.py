# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-augassign-subscript.py:5:{{[0-9]+}}: error: augmented assignment to this target is not supported yet
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    x[0] += 1
    return x
