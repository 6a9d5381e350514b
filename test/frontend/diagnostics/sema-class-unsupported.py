# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-class-unsupported.py:3:7: error: classes (Cells) are not supported yet
class Net(Cell):
    pass
