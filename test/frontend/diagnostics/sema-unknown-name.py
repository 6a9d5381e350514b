# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-unknown-name.py:5:16: error: name 'y' is not defined
@export
def f(x: f32[3]) -> f32[3]:
    return x + y
