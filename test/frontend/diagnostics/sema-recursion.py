# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-recursion.py:4:12: error: recursive calls are not supported yet ('g' calls itself)
def g(x):
    return g(x)

@export
def f(x: f32[3]) -> f32[3]:
    return g(x)
