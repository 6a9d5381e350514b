# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-unpack-count.py:5:5: error: cannot unpack a tuple of 3 into 2 targets
@export
def f(x: f32[3]) -> f32[3]:
    a, b = (x, x, x)
    return a
