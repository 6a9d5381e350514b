# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}cell-optimizer.py:4:7: error: 'Adam' is not supported yet
net = Dense(2, 3)
opt = Adam(net, lr=1e-3)
