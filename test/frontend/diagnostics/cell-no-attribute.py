# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}cell-no-attribute.py:9:20: error: 'Net' object has no attribute 'bias'
class Net(Cell):
    def __init__(self):
        self.w = Parameter(zeros((3,)))
net = Net()
@export
def f(x: f32[3]) -> f32[3]:
    return x + net.bias
