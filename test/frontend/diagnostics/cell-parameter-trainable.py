# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}cell-parameter-trainable.py:5:53: error: trainable must be True or False, got
class Net(Cell):
    def __init__(self):
        self.w = Parameter(zeros((3,)), init=zeros, trainable=1.5)
net = Net()
@export
def f(x: f32[3]) -> f32[3]:
    return x * net.w
