# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-reshape-two-inferred.py:5:{{[0-9]+}}: error: only one dimension can be -1 in reshape
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    return x.reshape(-1, -1)
