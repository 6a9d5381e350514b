# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-if-unsupported.py:5:5: error: 'if' statements are not supported yet
@export
def f(x: f32[3]) -> f32[3]:
    if True:
        x = x
    return x
