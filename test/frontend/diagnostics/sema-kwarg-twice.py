# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-kwarg-twice.py:5:{{[0-9]+}}: error: 'sum' got multiple values for 'axis'
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    return sum(x, 1, axis=1)
