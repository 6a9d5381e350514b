# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}grad-wrt-and-argnums.py:7:48: error: give argnums or wrt, not both
net = Dense(3, 1)

@export
def f(x: f32[2, 3]) -> f32:
    g = grad(lambda x: sum(net(x)), argnums=0, wrt=net.parameters)
    return 0.0
