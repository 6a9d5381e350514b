# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}cell-no-base.py:3:7: error: class 'Net' must derive from exactly one class: Cell or another Cell class
class Net:
    pass
