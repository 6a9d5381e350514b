# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}syntax-positional-after-keyword.py:3:12: error: positional argument follows keyword argument
X = f(a=1, 2)
