# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-unknown-type.py:4:{{[0-9]+}}: error: unknown type 'float32'
@export
def f(x: float32) -> f32:
    return 1.0
