# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-int-as-value.py:5:{{[0-9]+}}: error: 'int' is a compile-time type and cannot be used as a value here
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    y = int
    return x
