# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-symbolic-dim.py:4:14: error: symbolic dimension 'B' is not supported yet
@export
def f(x: f32[B, 3]) -> f32[3]:
    return x[0]
