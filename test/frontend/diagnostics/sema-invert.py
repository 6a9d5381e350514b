# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-invert.py:5:{{[0-9]+}}: error: '~' needs a bool or integer operand, got f32[2, 3]
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    y = ~x
    return x
