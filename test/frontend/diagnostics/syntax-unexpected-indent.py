# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}syntax-unexpected-indent.py:4:5: error: unexpected indent
X = 1
    Y = 2
