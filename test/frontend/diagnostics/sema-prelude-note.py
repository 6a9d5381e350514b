# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# An error inside a primitive written in the prelude also points at the
# model's call.
# CHECK: <spore prelude>:{{[0-9]+}}:{{[0-9]+}}: error: operands of '*' have shapes [2, 3] and [4], which do not broadcast
# CHECK: sema-prelude-note.py:8:12: note: in this call of a primitive of the prelude
@export
def f(x: f32[2, 3], w: f32[4]) -> f32[2, 3]:
    return rms_norm(x, w)
