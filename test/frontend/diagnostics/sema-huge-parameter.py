# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# A shape typo is refused where it is written, with its size and the limit,
# instead of running the compiler out of memory.
# CHECK: {{.*}}sema-huge-parameter.py:6:5: error: parameter 'w' is f32[3, 999999999991], 2999999999973 elements (12.0 TB): a tensor may hold at most 2^40 bytes (1 TiB)
@export
def f(w: f32[3, 999999999991], x: f32[999999999991]) -> f32[3]:
    return w @ x
