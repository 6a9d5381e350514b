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
