# RUN: rm -rf %t && mkdir -p %t
# RUN: not sporec %s --shared -o %t/libm.so 2>&1 | FileCheck %s
# RUN: not ls %t/libm.so
# An export named like one of the state's functions.
# CHECK: {{.*}}header-exports-state.py:10:5: error: the export 'state_create' would define 'header_exports_state_state_create' in the headers, as the model's own functions do; rename one of them
w = Parameter(zeros((2,)))


@export
def state_create(x: f32[2]) -> f32[2]:
    return x + w
