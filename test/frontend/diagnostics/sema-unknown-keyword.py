# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-unknown-keyword.py:5:19: error: 'sum' has no parameter named 'axes'
@export
def f(x: f32[2, 3]) -> f32[2]:
    return sum(x, axes=1)
