# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-matmul-mismatch.py:5:14: error: invalid operands for '@': contracting dimensions differ: [2, 3] @ [4, 5] (3 vs 4)
@export
def f(a: f32[2, 3], b: f32[4, 5]) -> f32[2, 5]:
    return a @ b
