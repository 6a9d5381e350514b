# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-return-tuple-arity.py:5:{{[0-9]+}}: error: returns a tensor f32[3] but the annotation is a tuple of 2
@export
def f(x: f32[3]) -> tuple[f32[3], f32[3]]:
    return x
