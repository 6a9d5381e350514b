# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}cell-base-instance.py:3:7: error: Cell is the base of Cell classes; define a class that derives from it and create that
net = Cell()
