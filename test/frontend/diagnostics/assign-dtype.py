# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}assign-dtype.py:9:19: error: the new value of 'net.w' is f64[3] but the Parameter is f32[3] (convert it with astype)
class Net(Cell):
    def __init__(self):
        self.w = Parameter(zeros((3,)))
net = Net()
@export
def f(x: f64[3]) -> f64[3]:
    assign(net.w, x)
    return x
