# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-float-dim.py:4:{{[0-9]+}}: error: a dimension must be a compile-time int, got a float
@export
def f(x: f32[1.5]) -> f32:
    return 1.0
