# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-lambda-arity.py:6:12: error: '<lambda>' takes 1 arguments but 2 were given
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    g = lambda a: a * 2.0
    return g(x, x)
