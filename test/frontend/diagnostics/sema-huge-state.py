# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# A Parameter too large for any machine is refused at the instance that
# owns it (its state slot would be sized from an overflowed count).
# CHECK: {{.*}}sema-huge-state.py:12:7: error: the Parameter 'net.w' is f32[4611686018427387904, 4], more than 2^64 elements: a tensor may hold at most 2^40 bytes (1 TiB)
class M(Cell):
    def __init__(self):
        self.w = Parameter(zeros((4611686018427387904, 4)))

    def __call__(self, x):
        return x * sum(self.w)

net = M()


@export
def f(x: f32[4]) -> f32[4]:
    return net(x)
