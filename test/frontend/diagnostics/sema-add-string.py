# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-add-string.py:5:{{[0-9]+}}: error: unsupported operand for '+': a string
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    return x + 'a'
