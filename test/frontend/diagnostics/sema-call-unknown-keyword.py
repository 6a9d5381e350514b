# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-call-unknown-keyword.py:8:{{[0-9]+}}: error: 'g' has no parameter named 'b'
def g(a):
    return a

@export
def f(x: f32[3]) -> f32[3]:
    return g(b=x)
