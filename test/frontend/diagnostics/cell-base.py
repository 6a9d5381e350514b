# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}cell-base.py:3:11: error: class 'Net' must derive from Cell or from a Cell class defined before it
class Net(Later):
    pass
