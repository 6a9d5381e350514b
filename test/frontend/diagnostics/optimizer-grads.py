# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}optimizer-grads.py:11:9: error: update takes a gradient per trainable Parameter of the Cell (2), as value_and_grad(..., wrt=net.parameters) gives them
net = Dense(3, 2)
opt = Adam(net)


@export
def step(x: f32[4, 3]) -> f32:
    loss, g = value_and_grad(lambda: sum(net(x) ** 2),
                             wrt=(net.weight,))()
    opt.update(g)
    return loss
