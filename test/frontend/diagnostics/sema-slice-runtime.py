# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-slice-runtime.py:6:11: error: a slice start must be a compile-time int (the shape of a slice is static; slice(x, starts, sizes) takes run-time starts), got a tensor i64
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    k = i[0].astype(i64)
    y = x[k:]
    return x
