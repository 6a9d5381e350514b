# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}syntax-missing-block.py:4:1: error: expected an indented block after the function definition
def f(x):
return x
