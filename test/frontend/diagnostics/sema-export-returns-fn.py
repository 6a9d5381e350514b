# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-export-returns-fn.py:8:{{[0-9]+}}: error: an exported function must return tensors, scalars or tuples of them, not the function 'g'
def g(a):
    return a

@export
def f(x: f32[3]):
    return g
