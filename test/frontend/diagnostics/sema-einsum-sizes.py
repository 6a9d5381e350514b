# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-einsum-sizes.py:5:{{[0-9]+}}: error: einsum subscript 'j' has sizes 4 and 3
@export
def f(a: f32[3, 4], b: f32[3, 5]) -> f32[3, 5]:
    return einsum('ij,jk->ik', a, b)
