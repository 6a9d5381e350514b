# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}cell-defined-twice.py:4:1: error: 'net' is defined twice at top level
net = Dense(2, 3)
net = Dense(3, 4)
