# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-keepdims-int.py:5:{{[0-9]+}}: error: keepdims must be a compile-time bool
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    return sum(x, axis=0, keepdims=1)
