# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-planned-unsupported.py:5:12: error: 'Adam' is not supported yet
@export
def f(x: f32[3]) -> f32[3]:
    return Adam(x)
