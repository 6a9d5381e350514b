# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}grad-nonscalar.py:5:12: error: grad needs a function that returns a float scalar (has_aux=True returns more), not f32[3]
@export
def f(x: f32[3]) -> f32[3]:
    return grad(tanh)(x)
