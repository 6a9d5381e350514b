# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-unpack-nontuple.py:5:{{[0-9]+}}: error: cannot unpack a tensor f32[2, 3]
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    a, b = x
    return x
