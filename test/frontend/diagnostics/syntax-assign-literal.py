# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}syntax-assign-literal.py:3:1: error: cannot assign to this expression
1 = x
