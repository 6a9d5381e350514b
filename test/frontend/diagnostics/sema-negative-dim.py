# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-negative-dim.py:4:{{[0-9]+}}: error: a dimension cannot be negative
@export
def f(x: f32[-1]) -> f32:
    return 1.0
