# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-assert-false-in-function.py:5:{{[0-9]+}}: error: assertion failed: one is not two
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    assert 1 == 2, 'one is not two'
    return x
