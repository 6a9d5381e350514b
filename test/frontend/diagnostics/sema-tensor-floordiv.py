# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-tensor-floordiv.py:5:{{[0-9]+}}: error: arithmetic '//' on bool tensors is not supported; convert with astype first
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    y = m // m
    return x
