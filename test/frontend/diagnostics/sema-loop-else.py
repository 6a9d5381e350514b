# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-loop-else.py:7:5: error: 'for ... else' is not part of the Spore language
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    for k in range(3):
        pass
    else:
        pass
    return x
