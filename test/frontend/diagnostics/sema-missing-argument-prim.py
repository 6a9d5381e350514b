# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-missing-argument-prim.py:5:{{[0-9]+}}: error: 'maximum' is missing its argument 'y'
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    return maximum(x)
