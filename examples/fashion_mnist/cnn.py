# Fashion-MNIST classifier: a small CNN trained by AdamW with
# `spore-train` (scripts/demo shows how).
from spore import *

BATCH = 128
EPOCHS = 8
STEPS = EPOCHS * (60000 // BATCH)


class CNN(Cell):
    def __init__(self):
        self.conv1 = Conv2d(1, 8, 3, padding=1)
        self.conv2 = Conv2d(8, 16, 3, padding=1)
        self.fc1 = Dense(16 * 7 * 7, 128)
        self.fc2 = Dense(128, 10)

    def __call__(self, x):
        n = x.shape[0]
        h = reshape(x, (n, 28, 28, 1))  # NHWC
        h = max_pool2d(relu(self.conv1(h)), 2)
        h = max_pool2d(relu(self.conv2(h)), 2)
        h = relu(self.fc1(reshape(h, (n, 16 * 7 * 7))))
        return self.fc2(h)


net = CNN()
opt = AdamW(net, lr=warmup_cosine(2e-3, warmup=200, steps=STEPS),
            weight_decay=1e-4)


@export
def train_step(x: f32[BATCH, 28, 28], y: i32[BATCH]) -> f32:
    loss, g = value_and_grad(lambda: cross_entropy(net(x), y),
                             wrt=net.parameters)()
    opt.update(g)
    return loss


@export
def eval_step(x: f32[BATCH, 28, 28], y: i32[BATCH], valid: i32) -> i64:
    # Correct predictions among the first `valid` records (the last batch
    # of the test set is padded): the trainer reports their mean, the
    # accuracy.
    hit = (argmax(net(x), axis=-1) == y) & (arange(BATCH) < valid)
    return sum(hit)
