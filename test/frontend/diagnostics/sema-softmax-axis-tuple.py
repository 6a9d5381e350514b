# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-softmax-axis-tuple.py:5:{{[0-9]+}}: error: axis must be a compile-time int
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    return softmax(x, axis=(0, 1))
