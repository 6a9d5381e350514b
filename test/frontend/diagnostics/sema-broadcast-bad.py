# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-broadcast-bad.py:5:{{[0-9]+}}: error: cannot broadcast [2, 3] to [4, 3]
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    return broadcast_to(x, (4, 3))
