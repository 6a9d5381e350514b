# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}assign-not-tensor.py:9:19: error: the new value of 'net.w' must be a tensor, got
class Net(Cell):
    def __init__(self):
        self.w = Parameter(zeros((3,)))
net = Net()
@export
def f(x: f32[3]) -> f32[3]:
    assign(net.w, "half")
    return x
