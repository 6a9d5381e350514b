# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: error: cannot reshape [2, 3] (6 elements) to [5]
@export
def f(x: f32[2, 3]) -> f32[5]:
    return x.reshape(5)
