# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}jacrev-argnums-tuple.py:5:12: error: jacrev takes one argument index (argnums=int); tuples of them, has_aux and wrt are not supported yet
@export
def f(x: f32[3]) -> f32[3, 3]:
    return jacrev(tanh, argnums=(0,))(x)
