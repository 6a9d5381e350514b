# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-recursion-depth.py:4:12: error: calls nest more than 64 deep at compile time (a recursion whose compile-time arguments change at every call?)
def g(x, n: int):
    return g(x, n + 1)


@export
def f(x: f32[3]) -> f32[3]:
    return g(x, 0)
