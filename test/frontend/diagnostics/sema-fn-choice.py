# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-fn-choice.py:7:5: error: variable 'g' is a closure over values computed inside a branch of this 'if'; choosing such a closure at run time is not supported yet
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    g = lambda a: a
    k = x * 2.0
    if x.sum() > 0:
        y = x + 1.0
        g = lambda a: a * y
    return g(x)
