# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-dtype-call-arity.py:5:{{[0-9]+}}: error: a dtype conversion takes one argument
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    return f32(x, x)
