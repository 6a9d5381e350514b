# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-assert-runtime.py:5:14: error: an assert's condition must be a scalar, got bool[2, 3] (reduce it with any() or all(), or compare elements one by one)
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    assert x > 0
    return x
