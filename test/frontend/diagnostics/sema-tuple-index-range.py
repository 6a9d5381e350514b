# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-tuple-index-range.py:5:{{[0-9]+}}: error: tuple index 2 is out of range for a tuple of 2
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    y = (x, x)[2]
    return x
