# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}syntax-bad-number.py:3:5: error: invalid number literal '12abc'
X = 12abc
