# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}assign-shape.py:9:19: error: the new value of 'net.w' is f32[4] but the Parameter is f32[3]
class Net(Cell):
    def __init__(self):
        self.w = Parameter(zeros((3,)))
net = Net()
@export
def f(x: f32[4]) -> f32[4]:
    assign(net.w, x)
    return x
