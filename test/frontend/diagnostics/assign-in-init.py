# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}assign-in-init.py:6:9: error: assign sets the state when an export runs; in __init__ give the Parameter its value instead
class Net(Cell):
    def __init__(self):
        self.w = Parameter(zeros((3,)))
        assign(self.w, ones((3,)))
net = Net()
@export
def f(x: f32[3]) -> f32[3]:
    return x * net.w
