# RUN: sporec %s --emit=spore-ad --no-locations | FileCheck %s
# RUN: sporec %s --emit=spore-ad --no-locations --inline-all | FileCheck %s --check-prefix=INLINED
# RUN: sporec %s --emit=llvm | FileCheck %s --check-prefix=LLVM
# RUN: sporec %s --emit=llvm | FileCheck %s --check-prefix=LOOPS
# A model of repeated blocks keeps one function per block type through
# differentiation and lowering (docs/ir.md, "Functions"): the four Dense
# instances share one method, which differentiation splits into one forward
# and one backward function (the first layer, whose input is data, has its
# own backward function: it computes no input gradient). `--inline-all`
# inlines everything, as before.
from spore import *


class Deep(Cell):
    def __init__(self):
        self.layers = (Dense(16, 16), Dense(16, 16), Dense(16, 16),
                       Dense(16, 16))

    def __call__(self, x):
        for layer in self.layers:
            x = tanh(layer(x))
        return x


model = Deep()
opt = SGD(model, lr=0.1)


@export
def step(x: f32[8, 16], y: f32[8, 16]) -> f32:
    loss, g = value_and_grad(lambda: mean((model(x) - y) ** 2),
                             wrt=model.parameters)()
    opt.update(g)
    return loss

# CHECK-LABEL: spore.func private @lambda.wrapped.grad
# CHECK-COUNT-4: spore.call @Dense.__call__.fwd{{(_[0-9]+)?}}(
# CHECK-COUNT-3: spore.call @Dense.__call__.bwd(
# CHECK: spore.call @Dense.__call__.bwd_{{[0-9]+}}(
# CHECK-NOT: spore.matmul
# CHECK: spore.return
# CHECK-DAG: spore.func private @Dense.__call__.fwd
# CHECK-DAG: spore.func private @Dense.__call__.bwd(
# CHECK-DAG: spore.func private @Dense.__call__.bwd_{{[0-9]+}}(
# CHECK-NOT: @Dense.__call___1

# INLINED-NOT: .fwd
# INLINED-NOT: .bwd

# LLVM IR keeps the small forward function too (noinline): LLVM's
# inliner would otherwise put it back at each call.
# LLVM-DAG: define internal {{.*}} @__spore_Dense.__call__.fwd{{(_[0-9]+)?}}({{.*}} #[[NOINLINE:[0-9]+]]
# LLVM-DAG: define internal {{.*}} @__spore_Dense.__call__.bwd(
# LLVM-DAG: attributes #[[NOINLINE]] = { {{.*}}noinline

# The step's loop nests are functions too (spore-outline-loops), one per
# distinct nest: the tanh after each of the four layers is one function,
# called four times, and so is the update of each of the four weights.
# LOOPS: define internal {{.*}} @__spore_step.loop0(
# LOOPS-COUNT-4: call fastcc void @__spore_step.loop0(
