# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}cell-sequential-bad.py:3:31: error: Sequential takes Cells or functions, got the int 3
net = Sequential(Dense(2, 3), 3)
