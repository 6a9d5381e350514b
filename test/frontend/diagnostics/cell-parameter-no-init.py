# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}cell-parameter-no-init.py:5:18: error: Parameter(value) without init= needs a value filled with one constant, such as zeros(...) or ones(...)
class Net(Cell):
    def __init__(self):
        self.w = Parameter(arange(3).astype(f32))
net = Net()
