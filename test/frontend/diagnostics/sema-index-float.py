# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-index-float.py:5:11: error: an index must be an int, a slice, None, '...' or an integer tensor, not a float
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    y = x[1.5]
    return x
