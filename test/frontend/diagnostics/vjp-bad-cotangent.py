# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}vjp-bad-cotangent.py:6:21: error: the cotangent must be f32[3] like the function's result, not a tensor f32[2]
@export
def f(x: f32[3], c: f32[2]) -> f32[3]:
    y, pullback = vjp(tanh, x)
    return pullback(c)[0]
