# A small CNN written with Cells: two convolutions (one padded, one
# strided), max pooling, a LayerNorm over channels and a Dense classifier
# inside a Sequential head.
from spore import *


class CNN(Cell):
    def __init__(self, classes: int):
        self.conv1 = Conv2d(1, 4, 3, padding=1)
        self.conv2 = Conv2d(4, 8, 3, stride=2)
        self.norm = LayerNorm(8)
        self.head = Sequential(Dense(32, 16), relu, Dense(16, classes))

    def __call__(self, x):
        h = max_pool2d(relu(self.conv1(x)), 2)   # [n, 6, 6, 4]
        h = self.norm(relu(self.conv2(h)))       # [n, 2, 2, 8]
        return log_softmax(self.head(reshape(h, (h.shape[0], 32))))


net = CNN(10)


@export
def predict(x: f32[2, 12, 12, 1]) -> f32[2, 10]:
    return net(x)


# Gradients with respect to every Parameter, through the convolutions,
# the max pooling and the LayerNorm (checked against finite differences of
# a NumPy CNN in check_cells.py).
@export
def grads(x: f32[2, 12, 12, 1], w: f32[2, 10]) -> tuple[
        f32, f32[3, 3, 1, 4], f32[4], f32[3, 3, 4, 8], f32[8], f32[8], f32[8],
        f32[32, 16], f32[16], f32[16, 10], f32[10]]:
    value, g = value_and_grad(lambda x: mean(net(x) * w),
                              wrt=net.parameters)(x)
    return value, g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9]
