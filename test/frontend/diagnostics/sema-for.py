# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-for.py:5:{{[0-9]+}}: error: 'for' loops are not supported yet
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    for j in range(3):
        pass
    return x
