# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-missing-return.py:4:5: error: function 'f' must end with a 'return'
@export
def f(x: f32[3]) -> f32[3]:
    y = x
