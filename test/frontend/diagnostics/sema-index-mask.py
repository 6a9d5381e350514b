# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-index-mask.py:5:11: error: indexing with a bool mask gives a shape known only at run time; use where(mask, x, y) instead
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    y = i[m]
    return x
