# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}cell-attr-tensor.py:5:14: error: a Cell attribute must be a Parameter, a Cell, a function or a compile-time value; wrap a tensor in Parameter(...)
class Net(Cell):
    def __init__(self):
        self.table = arange(4)
net = Net()
