# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}grad-int-arg.py:5:56: error: cannot differentiate with respect to argument 1, a i32[3]: only floating values have derivatives
@export
def f(x: f32[3], n: i32[3]) -> i32[3]:
    return grad(lambda a, b: sum(a * b), argnums=1)(x, n)
