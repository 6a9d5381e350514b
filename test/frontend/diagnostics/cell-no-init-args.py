# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}cell-no-init-args.py:6:7: error: 'Net' takes no arguments (it has no __init__)
class Net(Cell):
    def __call__(self, x):
        return x
net = Net(3)
