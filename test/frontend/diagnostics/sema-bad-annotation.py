# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-bad-annotation.py:4:{{[0-9]+}}: error: not a type annotation (expected e.g. f32[3, 4])
@export
def f(x: 3) -> f32:
    return 1.0
