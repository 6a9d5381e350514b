# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-and-runtime.py:5:{{[0-9]+}}: error: 'and' on run-time values is not supported yet
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    y = x and x
    return x
