# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-conv-channels.py:5:{{[0-9]+}}: error: conv2d filter f32[3, 3, 2, 4] expects 2 input channels, the input has 3
@export
def f(x: f32[1, 8, 8, 3], w: f32[3, 3, 2, 4]) -> f32[1, 6, 6, 4]:
    return conv2d(x, w)
