# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-while.py:5:{{[0-9]+}}: error: the condition of 'while' must be a scalar, got f32[2, 3]
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    while x:
        pass
    return x
