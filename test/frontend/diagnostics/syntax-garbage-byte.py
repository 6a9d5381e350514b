# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}syntax-garbage-byte.py:4:1: error: unexpected byte 0x1 in source
X = 1

