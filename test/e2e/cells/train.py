# Gradients with respect to a Cell's Parameters (language.md §7,
# MindSpore's GradOperation with get_by_list): net.parameters is a tuple,
# and the gradient has its structure.
from spore import *


class MLP(Cell):
    def __init__(self):
        self.fc1 = Dense(2, 3)
        self.fc2 = Dense(3, 1)

    def __call__(self, x):
        return self.fc2(tanh(self.fc1(x)))


net = MLP()


def loss(x, y):
    return mean((net(x) - y) ** 2)


@export
def grads(x: f32[4, 2], y: f32[4, 1]) -> tuple[f32, f32[2, 3], f32[3], f32[3, 1], f32[1]]:
    value, g = value_and_grad(loss, wrt=net.parameters)(x, y)
    w1, b1, w2, b2 = g
    return value, w1, b1, w2, b2
