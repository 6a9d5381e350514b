# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-conv-unsupported.py:5:12: error: 'conv2d' is not supported yet
@export
def f(x: f32[3]) -> f32[3]:
    return conv2d(x, x)
