# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-ellipsis-value.py:5:{{[0-9]+}}: error: '...' and slices are only valid inside an index
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    y = ...
    return x
