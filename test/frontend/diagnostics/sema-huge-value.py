# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# An element count that overflows 64 bits is refused at the expression.
# CHECK: {{.*}}sema-huge-value.py:7:16: error: this value is f32[4294967296, 4294967296], more than 2^64 elements: a tensor may hold at most 2^40 bytes (1 TiB)
# CHECK-NEXT: return x + zeros((4294967296, 4294967296)).sum()
@export
def f(x: f32[4]) -> f32[4]:
    return x + zeros((4294967296, 4294967296)).sum()
