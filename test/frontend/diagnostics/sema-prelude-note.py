# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# An error inside a primitive written in the prelude is reported at the
# model's call, with the prelude's line as a note.
# CHECK: sema-prelude-note.py:9:12: error: operands of '*' have shapes [2, 3] and [4], which do not broadcast
# CHECK-NEXT: return rms_norm(x, w)
# CHECK: <spore prelude>:{{[0-9]+}}:{{[0-9]+}}: note: where the prelude's code for this call failed
@export
def f(x: f32[2, 3], w: f32[4]) -> f32[2, 3]:
    return rms_norm(x, w)
