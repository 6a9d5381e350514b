# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-compare-runtime.py:5:{{[0-9]+}}: error: operands of '<' have shapes [2, 3] and [3, 2], which do not broadcast
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    y = x < x.T
    return x
