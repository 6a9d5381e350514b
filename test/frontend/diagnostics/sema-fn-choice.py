# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-fn-choice.py:13:5: error: variable 'g' is the function 'h1' on one branch and the function 'h2' on the other: choosing a function at run time is not supported yet
def h1(a):
    return a


def h2(a):
    return a * 2.0


@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    if x.sum() > 0:
        g = h1
    else:
        g = h2
    return g(x)
