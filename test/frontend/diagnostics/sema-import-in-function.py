# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-import-in-function.py:5:{{[0-9]+}}: error: imports are only allowed at top level
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    import spore
    return x
