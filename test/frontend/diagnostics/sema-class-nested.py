# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-class-nested.py:5:{{[0-9]+}}: error: a class can only be defined at top level
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    class C:
        pass
    return x
