# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-planned-unsupported.py:5:12: error: 'dim' is not supported yet
@export
def f(x: f32[3, 3]) -> f32[3, 3]:
    return dim(x)
