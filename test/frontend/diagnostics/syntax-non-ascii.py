# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}syntax-non-ascii.py:3:5: error: unexpected byte 0xc3 in source
X = é
