# Cells built by a loop in __init__ (which runs at compile time), two
# module-level instances, and a Cell chosen at run time.
from spore import *


class Stack(Cell):
    def __init__(self, d: int, n: int):
        layers = ()
        for i in range(n):
            layers = layers + (Dense(d, d),)
        self.layers = layers

    def __call__(self, x):
        for layer in self.layers:
            x = tanh(layer(x))
        return x


deep = Stack(4, 3)
shallow = Dense(4, 4)


@export
def f(x: f32[2, 4], use_deep: bool) -> f32[2, 4]:
    g = deep if use_deep else shallow
    return g(x)
