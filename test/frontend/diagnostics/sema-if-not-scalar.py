# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-if-not-scalar.py:5:8: error: the condition of 'if' must be a scalar, got bool[3]
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    if m:
        x = x + 1.0
    return x
