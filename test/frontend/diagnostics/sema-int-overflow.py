# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-int-overflow.py:3:5: error: integer literal 99999999999999999999 does not fit in a 64-bit integer
X = 99999999999999999999
