# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}syntax-lambda-star.py:3:12: error: variadic parameters
f = lambda *a: a
