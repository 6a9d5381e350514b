# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-recursion.py:4:12: error: cannot tell the result type of the recursive call to 'g': annotate its return type, or return in a base case before the recursive call
def g(x):
    return g(x)

@export
def f(x: f32[3]) -> f32[3]:
    return g(x)
