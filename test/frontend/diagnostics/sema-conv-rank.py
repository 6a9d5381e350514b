# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-conv-rank.py:5:{{[0-9]+}}: error: 'conv2d' needs NHWC activations of rank 4, got f32[8, 8, 3]
@export
def f(x: f32[8, 8, 3], w: f32[3, 3, 3, 4]) -> f32[6, 6, 4]:
    return conv2d(x, w)
