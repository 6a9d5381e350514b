# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-shape-mismatch.py:5:14: error: operands of '+' have shapes [3] and [4], which do not broadcast
@export
def f(x: f32[3], y: f32[4]) -> f32[3]:
    return x + y
