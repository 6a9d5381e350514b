# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}jvp-not-tuples.py:5:12: error: jvp takes the primals and the tangents as tuples: jvp(f, (x,), (t,))
@export
def f(x: f32[3]) -> f32[3]:
    return jvp(tanh, x, x)[1]
