# A linear regression trained by SGD with momentum: the spore-train tests'
# model.
from spore import *


class Linear(Cell):
    def __init__(self):
        self.fc = Dense(3, 1)

    def __call__(self, x):
        return reshape(self.fc(x), (x.shape[0],))


net = Linear()
opt = SGD(net, lr=0.05, momentum=0.9)


@export
def train_step(x: f32[8, 3], y: f32[8]) -> f32:
    loss, g = value_and_grad(lambda: mean((net(x) - y) ** 2),
                             wrt=net.parameters)()
    opt.update(g)
    return loss


@export
def eval_step(x: f32[8, 3], y: f32[8], valid: i32) -> tuple[f32, f32]:
    # Sums over the valid records: squared error and records within 0.1.
    mask = arange(8) < valid
    err = (net(x) - y) ** 2
    return sum(where(mask, err, 0.0)), sum(where(mask & (err < 0.01), 1.0, 0.0))
