# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-pool-window.py:5:{{[0-9]+}}: error: the window (5x5) does not fit in the padded input f32[1, 4, 4, 3]
@export
def f(x: f32[1, 4, 4, 3]) -> f32[1, 1, 1, 3]:
    return max_pool2d(x, 5)
