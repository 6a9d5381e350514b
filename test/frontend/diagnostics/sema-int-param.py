# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-int-param.py:4:{{[0-9]+}}: error: compile-time parameters ('int') are not supported on this function
@export
def f(n: int) -> f32:
    return 1.0
