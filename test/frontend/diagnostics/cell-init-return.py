# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}cell-init-return.py:5:16: error: __init__ must not return a value
class Net(Cell):
    def __init__(self):
        return 1
net = Net()
