# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-einsum-output.py:5:{{[0-9]+}}: error: einsum output subscript 'k' is not in any operand
@export
def f(a: f32[3, 3]) -> f32[3]:
    return einsum('ij->k', a)
