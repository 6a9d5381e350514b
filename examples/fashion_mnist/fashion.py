# Fashion-MNIST classifier: an MLP trained by AdamW from C++ (train.cpp).
from spore import *

BATCH = 128


class MLP(Cell):
    def __init__(self, din: int, dh: int, dout: int):
        self.fc1 = Dense(din, dh)
        self.fc2 = Dense(dh, dout)

    def __call__(self, x):
        h = relu(self.fc1(reshape(x, (x.shape[0], 784))))
        return self.fc2(h)


net = MLP(784, 256, 10)
opt = AdamW(net, lr=warmup_cosine(2e-3, warmup=200, steps=4690), weight_decay=1e-4)


@export
def train_step(x: f32[BATCH, 28, 28], y: i32[BATCH]) -> f32:
    loss, g = value_and_grad(lambda: cross_entropy(net(x), y),
                             wrt=net.parameters)()
    opt.update(g)
    return loss


@export
def eval_step(x: f32[BATCH, 28, 28], y: i32[BATCH], valid: i32) -> i64:
    # Correct predictions among the first `valid` records (the last batch
    # of an epoch is padded).
    hit = (argmax(net(x), axis=-1) == y) & (arange(BATCH) < valid)
    return sum(hit)
