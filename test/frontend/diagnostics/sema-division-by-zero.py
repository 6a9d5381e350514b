# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-division-by-zero.py:3:7: error: integer division by zero
X = 1 // 0
