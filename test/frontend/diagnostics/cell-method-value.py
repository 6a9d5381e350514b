# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}cell-method-value.py:11:13: error: method 'scale' can only be called here; wrap it in a lambda to pass it as a value
class Net(Cell):
    def __init__(self):
        self.w = Parameter(ones((3,)))
    def scale(self, x):
        return x * self.w
net = Net()
@export
def f(x: f32[3]) -> f32[3]:
    g = net.scale
    return g(x)
