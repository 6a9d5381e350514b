# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-einsum-diagonal.py:5:{{[0-9]+}}: error: einsum subscript 'i' repeats within an operand (diagonals are not supported yet)
@export
def f(a: f32[3, 3]) -> f32[3]:
    return einsum('ii->i', a)
