# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-annassign-mismatch.py:5:{{[0-9]+}}: error: value of type f32[2, 3] does not match the annotation f32[3]
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    y: f32[3] = x
    return x
