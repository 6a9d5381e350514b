# RUN: rm -rf %t && mkdir -p %t
# RUN: not sporec %s --shared -o %t/libm.so 2>&1 | FileCheck %s
# RUN: not ls %t/libm.so
# An export named like the function that describes the model's exports.
# CHECK: {{.*}}header-exports-model.py:9:5: error: the export 'model' would define 'header_exports_model_model' in the headers, as the model's own functions do; rename one of them


@export
def model(x: f32[2]) -> f32[2]:
    return x + 1.0
