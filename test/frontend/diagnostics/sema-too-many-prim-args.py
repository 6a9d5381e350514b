# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-too-many-prim-args.py:5:{{[0-9]+}}: error: 'relu' takes at most 1 arguments, got 2
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    return relu(x, x)
