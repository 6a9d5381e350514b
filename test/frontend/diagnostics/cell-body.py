# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}cell-body.py:4:5: error: a Cell class may only define methods (its attributes are set in __init__)
class Net(Cell):
    size = 3
