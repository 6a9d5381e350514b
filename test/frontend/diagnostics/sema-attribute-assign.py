# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-attribute-assign.py:5:{{[0-9]+}}: error: cannot set an attribute of a tensor f32[2, 3]; only Cells have attributes to set
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    x.y = 1
    return x
