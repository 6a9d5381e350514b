# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-overflow-mul.py:3:{{[0-9]+}}: error: integer overflow in a compile-time '*'
X = 4611686018427387904 * 4
