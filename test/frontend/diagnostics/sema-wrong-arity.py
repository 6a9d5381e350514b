# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-wrong-arity.py:8:12: error: 'g' is missing its argument 'b'
def g(a, b):
    return a

@export
def f(x: f32[3]) -> f32[3]:
    return g(x)
