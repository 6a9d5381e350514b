# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-while-rebind-fn.py:7:5: error: variable 'g' cannot be rebound inside a loop (it holds the function 'f')
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    g = f
    k = 0
    while k < 3:
        g = x
        k = k + 1
    return x
