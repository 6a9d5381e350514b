# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-int-param.py:4:10: error: 'int' (a compile-time value) cannot be the type of a parameter of an exported function or of a result; use i64 or f32
@export
def f(n: int) -> f32:
    return 1.0
