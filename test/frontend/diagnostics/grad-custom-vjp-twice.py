# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}grad-custom-vjp-twice.py:14:2: error: 'f' already has a rule
# CHECK: {{.*}}grad-custom-vjp-twice.py:10:5: note: the first rule is here
@custom_vjp
def f(x):
    return x * 2.0


@f.defvjp
def first(x, out, g):
    return (g,)


@f.defvjp
def second(x, out, g):
    return (g * 2.0,)
