# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-full-runtime.py:5:{{[0-9]+}}: error: fill_value must be a compile-time number
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    return full((2, 3), x)
