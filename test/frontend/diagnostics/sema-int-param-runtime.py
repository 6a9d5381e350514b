# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-int-param-runtime.py:9:17: error: argument 'n' of 'g' must be a compile-time int, got a run-time i64
def g(x, n: int):
    return x * n


@export
def f(x: f32[3], k: i64) -> f32[3]:
    return g(x, k)
