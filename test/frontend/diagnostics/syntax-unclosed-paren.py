# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}syntax-unclosed-paren.py:4:5: error: expected an expression, found keyword 'return'
def f(x:
    return x
