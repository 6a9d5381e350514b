# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-unannotated-export.py:4:7: error: parameter 'x' of exported function 'f' needs a type annotation
@export
def f(x):
    return x
