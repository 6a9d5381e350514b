# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}cell-parameter-bad-init.py:5:41: error: init must be an initialiser (zeros, ones, normal(std), uniform(a, b), xavier_uniform or kaiming_normal), got the primitive 'relu'
class Net(Cell):
    def __init__(self):
        self.w = Parameter(zeros((3,)), init=relu)
net = Net()
