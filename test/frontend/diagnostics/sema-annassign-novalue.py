# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-annassign-novalue.py:5:{{[0-9]+}}: error: an annotated name needs a value
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    y: f32
    return x
