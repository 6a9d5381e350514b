# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-tensor-index.py:5:13: error: indexing and slicing tensors is not supported yet
@export
def f(x: f32[3]) -> f32:
    return x[0]
