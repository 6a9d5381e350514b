# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}cell-parameter-int-init.py:5:52: error: a Parameter of dtype i32 can only have a constant initialiser
class Net(Cell):
    def __init__(self):
        self.w = Parameter(zeros((3,), dtype=i32), init=normal(0.1))
net = Net()
