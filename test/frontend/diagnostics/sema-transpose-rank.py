# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-transpose-rank.py:5:{{[0-9]+}}: error: transpose axes have 1 entries but the tensor has rank 2
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    return transpose(x, (0,))
