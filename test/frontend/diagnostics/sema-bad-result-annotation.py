# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# A bad result annotation is reported once.
# CHECK: {{.*}}sema-bad-result-annotation.py:6:21: error: not a type annotation (expected e.g. f32[3, 4])
# CHECK-NOT: error:
@export
def f(x: f32[2]) -> (f32, f32):
    return x, x
