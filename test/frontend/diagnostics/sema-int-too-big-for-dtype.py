# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-int-too-big-for-dtype.py:5:{{[0-9]+}}: error: the integer 3000000000 does not fit in i32
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    y = i + 3000000000
    return x
