# RUN: sporec %s --emit=spore --no-locations | FileCheck %s
# RUN: sporec %s --emit=spore | spore-opt -verify-each > /dev/null
# Cells are compile-time values: the module-level instance's Parameters
# become spore.parameter declarations named by their paths, with the
# initialisers resolved from their shapes, and every function takes them
# as leading arguments; a Sequential names its children 0, 1, ...; a
# Parameter reached twice (weight tying) is one slot.
from spore import *


class Block(Cell):
    def __init__(self, d: int):
        self.ln = LayerNorm(d)
        self.ff = Sequential(Dense(d, 2 * d), relu, Dense(2 * d, d, bias=False))

    def __call__(self, x):
        return x + self.ff(self.ln(x))


class Net(Cell):
    def __init__(self, d: int, n: int):
        self.emb = Embedding(n, d)
        self.blocks = (Block(d), Block(d))
        self.head = self.emb
        self.gain = Parameter(zeros((d,)), init=normal(0.02))

    def __call__(self, ids):
        x = self.emb(ids)
        for b in self.blocks:
            x = b(x)
        return (x * self.gain) @ self.head.weight.T


net = Net(4, 10)

# CHECK: spore.parameter "net.emb.weight" : tensor<10x4xf32> "normal" [1.000000e+00]
# CHECK: spore.parameter "net.blocks.0.ln.weight" : tensor<4xf32> "const" [1.000000e+00]
# CHECK: spore.parameter "net.blocks.0.ln.bias" : tensor<4xf32> "const" [0.000000e+00]
# CHECK: spore.parameter "net.blocks.0.ff.0.weight" : tensor<4x8xf32> "uniform" [-7.071068e-01, 7.071068e-01]
# CHECK: spore.parameter "net.blocks.0.ff.0.bias" : tensor<8xf32> "const" [0.000000e+00]
# CHECK: spore.parameter "net.blocks.0.ff.2.weight" : tensor<8x4xf32>
# CHECK-NOT: "net.blocks.0.ff.2.bias"
# CHECK: spore.parameter "net.blocks.1.ln.weight"
# CHECK-NOT: "net.head.weight"
# CHECK: spore.parameter "net.gain" : tensor<4xf32> "normal" [2.000000e-02]
# CHECK-NOT: spore.parameter
# CHECK: spore.func @logits(%{{.*}}: tensor<10x4xf32> {spore.state = "net.emb.weight"}
# CHECK-SAME: %{{.*}}: tensor<3xi32> {spore.name = "ids"}) -> tensor<3x10xf32>
# CHECK-SAME: attributes {spore.export}
@export
def logits(ids: i32[3]) -> f32[3, 10]:
    return net(ids)


# CHECK: spore.func @count(
# CHECK: spore.constant dense<12> : tensor<i64>
@export
def count() -> i64:
    return len(net.parameters)
