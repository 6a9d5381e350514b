# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-continue-outside.py:5:{{[0-9]+}}: error: 'continue' is only valid inside a loop
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    continue
