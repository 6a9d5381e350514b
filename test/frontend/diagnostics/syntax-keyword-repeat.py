# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}syntax-keyword-repeat.py:3:12: error: keyword argument 'a' repeated
X = f(a=1, a=2)
