# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-compare-runtime.py:5:{{[0-9]+}}: error: comparisons of run-time values are not supported yet
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    y = x < 1
    return x
