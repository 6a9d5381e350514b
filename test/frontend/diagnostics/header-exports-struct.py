# RUN: rm -rf %t && mkdir -p %t
# RUN: not sporec %s -o %t/m.o 2>&1 | FileCheck %s
# RUN: not ls %t/m.o
# The C++ header's struct of `f` is `f_t`, the wrapper of the export `f_t`.
# CHECK: {{.*}}header-exports-struct.py:12:5: error: the export 'f_t' would define 'f_t' in the headers, as the export 'f' does; rename one of them
@export
def f(x: f32) -> f32:
    return x


@export
def f_t(x: f32) -> f32:
    return x
