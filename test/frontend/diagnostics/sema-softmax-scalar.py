# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-softmax-scalar.py:5:{{[0-9]+}}: error: 'softmax' needs a tensor of rank >= 1
@export
def f(x: f32) -> f32:
    return softmax(x)
