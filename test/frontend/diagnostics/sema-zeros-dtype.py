# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-zeros-dtype.py:5:{{[0-9]+}}: error: dtype must be a dtype such as f32
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    return zeros((2, 3), dtype=3)
