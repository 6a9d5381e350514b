# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-nonconstant-global.py:3:5: error: a module constant must be a compile-time value
X = zeros((3,))
