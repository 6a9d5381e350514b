# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-max-empty.py:5:{{[0-9]+}}: error: 'max' over an axis of size 0 has no identity
@export
def f(x: f32[0, 3]) -> f32[3]:
    return max(x, axis=0)
