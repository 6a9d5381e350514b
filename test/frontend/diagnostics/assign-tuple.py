# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}assign-tuple.py:10:28: error: assign to 2 Parameters needs a tuple of as many values, got a tuple of 1
class Net(Cell):
    def __init__(self):
        self.w = Parameter(zeros((3,)))
        self.b = Parameter(zeros((3,)))
net = Net()
@export
def f(x: f32[3]) -> f32[3]:
    assign(net.parameters, (x,))
    return x
