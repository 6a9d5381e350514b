# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}assign-not-parameter.py:9:12: error: assign sets Parameters of the state (such as self.weight or net.parameters), not a tensor f32[3]
class Net(Cell):
    def __init__(self):
        self.w = Parameter(zeros((3,)))
net = Net()
@export
def f(x: f32[3]) -> f32[3]:
    assign(x, x * 2.0)
    return x
