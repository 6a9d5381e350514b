# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-random-key.py:5:{{[0-9]+}}: error: a random key must be an i32[2] from rng() or split(), got f32[2]
@export
def f(k: f32[2]) -> f32[3]:
    return random_uniform(k, (3,))
