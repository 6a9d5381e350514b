# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-transpose-axes.py:5:{{[0-9]+}}: error: transpose axes are not a permutation of the tensor's dimensions
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    return transpose(x, (0, 0))
