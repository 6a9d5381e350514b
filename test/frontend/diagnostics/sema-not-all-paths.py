# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-not-all-paths.py:4:5: error: function 'f' does not return on every path; add a 'return' at its end
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    if x.sum() > 0:
        return x
