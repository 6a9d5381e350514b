# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-nested-decorator.py:5:6: error: decorators on nested functions are not supported
@export
def f(x: f32[2, 3], i: i32[3], m: i1[3]) -> f32[2, 3]:
    @export
    def g(a):
        return a
    return x
