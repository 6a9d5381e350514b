# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-arg-annotation-mismatch.py:8:{{[0-9]+}}: error: argument 'a' of 'g' must be f32[4], got f32[3]
def g(a: f32[4]):
    return a

@export
def f(x: f32[3]) -> f32[4]:
    return g(x)
