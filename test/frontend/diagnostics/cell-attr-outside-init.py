# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}cell-attr-outside-init.py:9:9: error: attributes of a Cell can only be set in its __init__ (to change a Parameter, use assign(net.w, value))
class Net(Cell):
    def __init__(self):
        self.w = Parameter(zeros((3,)))
net = Net()
@export
def f(x: f32[3]) -> f32[3]:
    net.w = x
    return x
