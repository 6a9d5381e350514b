# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-unary-minus-str.py:5:{{[0-9]+}}: error: bad operand for unary '-': a string
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    y = -'a'
    return x
