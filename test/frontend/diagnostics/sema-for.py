# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-for.py:5:{{[0-9]+}}: error: a 'for' loop iterates over range(...) or a tuple, not a tensor f32[2, 3]
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    for r in x:
        pass
    return x
