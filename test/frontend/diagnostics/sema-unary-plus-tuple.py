# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-unary-plus-tuple.py:5:{{[0-9]+}}: error: bad operand for unary '+': a tuple of 2
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    y = +(1, 2)
    return x
