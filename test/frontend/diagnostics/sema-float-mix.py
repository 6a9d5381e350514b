# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-float-mix.py:5:14: error: operands of '+' have different floating dtypes f32 and f16; convert one with astype, e.g. x.astype(f32)
@export
def f(a: f32[3], b: f16[3]) -> f32[3]:
    return a + b
