# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# A module-level annotation without a value. The frontend bound a
# reference to the missing value before checking for it (undefined
# behaviour that UBSan reported under scripts/sanitize's fuzzer run).
# CHECK: {{.*}}sema-module-annassign-novalue.py:6:1: error: a module constant needs a value
SCALE: f32


@export
def f(x: f32[3]) -> f32[3]:
    return x
