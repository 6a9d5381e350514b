# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# Built-in Cells check their inputs in the user's terms, at the user's line.
# CHECK: sema-prelude-cells.py:18:21: error: Dense(3, 1) expects inputs with 3 features, got 100000
# CHECK-NEXT: return self.fc(x)
# CHECK: <spore prelude>:{{[0-9]+}}:{{[0-9]+}}: note: where the prelude's code for this call failed
# CHECK: sema-prelude-cells.py:31:16: error: Conv2d(3, 4, 3) expects NHWC inputs with 3 channels, got (1, 8, 8, 5)
# CHECK-NEXT: return net.conv(x)
# CHECK: sema-prelude-cells.py:36:5: error: assertion failed: got 3 features
from spore import *


class M(Cell):
    def __init__(self):
        self.fc = Dense(3, 1)
        self.conv = Conv2d(3, 4, 3)

    def __call__(self, x):
        return self.fc(x)


net = M()


@export
def f(x: f32[2, 100000]) -> f32[2, 1]:
    return net(x)


@export
def g(x: f32[1, 8, 8, 5]) -> f32[1, 6, 6, 4]:
    return net.conv(x)


@export
def h(x: f32[3]) -> f32[3]:
    assert x.shape[0] == 4, "got " + str(x.shape[0]) + " features"
    return x
