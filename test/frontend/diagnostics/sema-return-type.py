# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-return-type.py:5:12: error: returns f32[3] but the function is annotated to return f32[4]
@export
def f(x: f32[3]) -> f32[4]:
    return x
