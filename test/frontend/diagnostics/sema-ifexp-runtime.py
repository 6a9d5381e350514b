# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-ifexp-runtime.py:5:{{[0-9]+}}: error: the condition of a conditional expression must be a scalar, got f32[2, 3]
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    return x if x else x
