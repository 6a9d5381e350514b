# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: error: Cells nest more than 64 deep (does a Cell create itself?)
class Net(Cell):
    def __init__(self):
        self.inner = Net()
net = Net()
