# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-unknown-dtype.py:4:{{[0-9]+}}: error: unknown dtype 'float32'
@export
def f(x: float32[3]) -> f32:
    return 1.0
