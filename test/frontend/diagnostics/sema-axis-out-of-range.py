# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-axis-out-of-range.py:5:19: error: axis 2 is out of bounds for a tensor of rank 2
@export
def f(x: f32[2, 3]) -> f32[2]:
    return sum(x, axis=2)
