# RUN: sporec %s --emit=spore --no-locations | FileCheck %s
# RUN: sporec %s --emit=spore | spore-opt -verify-each > /dev/null
# State updates in the frontend: a Parameter with trainable=False is state
# but not in .parameters (no gradient, no optimizer moment), an
# optimizer's moments are named after their Parameters, opt.update and
# assign emit spore.assign, and callable() is Python's, decided at compile
# time (functions are, a Cell without __call__ and a number are not).
# CHECK: spore.parameter "net.w" : tensor<3xf32> "const" [1.000000e+00]
# CHECK: spore.parameter "net.n" : tensor<i32> "const" [0.000000e+00]
# CHECK: spore.parameter "opt.step" : tensor<i64> "const" [0.000000e+00]
# CHECK: spore.parameter "opt.m.net.w" : tensor<3xf32> "const" [0.000000e+00]
# CHECK-NOT: spore.parameter
# CHECK-LABEL: spore.func @f
# CHECK: spore.grad @{{.*}} wrt = [0] :
# CHECK: spore.call @SGD.update
# CHECK: spore.assign "net.n", %{{.*}} : tensor<i32>
# CHECK: spore.constant dense<102> : tensor<i64>
# CHECK-LABEL: spore.func private @SGD.update
# CHECK: spore.assign "net.w", %{{.*}} : tensor<3xf32>
# CHECK: spore.assign "opt.m.net.w", %{{.*}} : tensor<3xf32>
# CHECK: spore.assign "opt.step", %{{.*}} : tensor<i64>
from spore import *


class Net(Cell):
    def __init__(self):
        self.w = Parameter(zeros((3,)), init=ones)
        self.n = Parameter(zeros((), dtype=i32), trainable=False)


net = Net()
opt = SGD(net, lr=0.1, momentum=0.9)


def twice(v):
    return v * 2.0


@export
def f(x: f32[3]) -> tuple[f32[3], i64]:
    g = grad(lambda: sum(net.w * x), wrt=net.parameters)()
    opt.update(g)
    assign(net.n, net.n + 1)
    k = 0
    if callable(twice):
        k = k + 1
    if callable(net):
        k = k + 10
    if not callable(2.0):
        k = k + 100
    return twice(x), k + len(net.parameters)
