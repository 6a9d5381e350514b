# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-too-many-args.py:8:12: error: 'g' takes 1 arguments but 2 were given
def g(a):
    return a

@export
def f(x: f32[3]) -> f32[3]:
    return g(x, x)
