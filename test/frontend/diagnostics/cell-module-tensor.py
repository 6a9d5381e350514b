# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}cell-module-tensor.py:3:7: error: a module constant must be a compile-time value (an int, float, bool, string or a tuple of them) or a Cell instance
net = (Dense(2, 3), ones((3,)))
