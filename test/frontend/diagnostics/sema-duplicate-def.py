# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-duplicate-def.py:6:5: error: 'f' is defined twice at top level
def f(x):
    return x

def f(x):
    return x
