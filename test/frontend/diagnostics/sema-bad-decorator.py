# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-bad-decorator.py:3:{{[0-9]+}}: error: decorators other than @export, @custom_vjp and @f.defvjp are not supported
@jit
def f(x):
    return x
