# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}grad-wrt-not-parameters.py:5:22: error: wrt= takes Parameters (such as net.parameters), not a tensor f32[3]
@export
def f(x: f32[3]) -> f32[3]:
    return grad(sum, wrt=(x,))(x)
