# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}jacrev-tuple-output.py:5:12: error: jacrev needs a function that returns one floating tensor, not a tuple of 2
@export
def f(x: f32[3]) -> f32[3, 3]:
    return jacrev(lambda x: (x, x))(x)
