# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-dim-call.py:3:{{[0-9]+}}: error: symbolic dimensions (dim) are not supported yet
B = dim('B')
