# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-const-shift.py:3:{{[0-9]+}}: error: operator '<<' is not supported on numbers yet
X = 1 << 2
