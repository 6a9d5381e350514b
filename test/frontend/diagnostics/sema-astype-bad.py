# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-astype-bad.py:5:{{[0-9]+}}: error: astype needs a dtype such as f16, got the int 3
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    return x.astype(3)
