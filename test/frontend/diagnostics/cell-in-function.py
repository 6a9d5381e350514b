# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}cell-in-function.py:5:9: error: Cells can be created only at module level or in another Cell's __init__ (their Parameters are the module's state)
@export
def f(x: f32[2, 3]) -> f32[2, 4]:
    d = Dense(3, 4)
    return d(x)
