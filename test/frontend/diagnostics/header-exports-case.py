# RUN: rm -rf %t && mkdir -p %t && cd %t
# RUN: not sporec %s -o %t/m.o 2>&1 | FileCheck %s
# RUN: not ls %t/m.o %t/header-exports-case.h
# Exports differing only in case would define the same macros in the C
# header (the later one silently won): refused before anything is written.
# CHECK: {{.*}}header-exports-case.py:13:5: error: the export 'F' would define 'HEADER_EXPORTS_CASE_F_X_RANK' in the headers, as the export 'f' does; rename one of them
@export
def f(x: f32[2]) -> f32[2]:
    return x


@export
def F(x: f32[3]) -> f32[3]:
    return x
