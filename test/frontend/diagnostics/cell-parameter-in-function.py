# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}cell-parameter-in-function.py:5:16: error: Parameters can be created only in a Cell's __init__ or at module level
@export
def f(x: f32[3]) -> f32[3]:
    return x + Parameter(zeros((3,)))
