# spore-run refuses every malformed or mismatched .npy input with a
# message that names the input, and exits 1 before compiling anything.
#
# RUN: rm -rf %t && %python %S/Inputs/npy_cases.py %t
# RUN: not spore-run %s f --cache-dir %t/cache --input x=%t/empty.npy --input y=%t/y.npy 2>&1 | FileCheck %s --check-prefix=EMPTY
# EMPTY: spore-run: error: input 'x': {{.*}}empty.npy: not a .npy file (bad magic)
# RUN: not spore-run %s f --cache-dir %t/cache --input x=%t/bad_magic.npy --input y=%t/y.npy 2>&1 | FileCheck %s --check-prefix=BAD-MAGIC
# BAD-MAGIC: spore-run: error: input 'x': {{.*}}bad_magic.npy: not a .npy file (bad magic)
# RUN: not spore-run %s f --cache-dir %t/cache --input x=%t/truncated_header.npy --input y=%t/y.npy 2>&1 | FileCheck %s --check-prefix=TRUNCATED-HEADER
# TRUNCATED-HEADER: spore-run: error: input 'x': {{.*}}truncated_header.npy: truncated header
# RUN: not spore-run %s f --cache-dir %t/cache --input x=%t/no_descr.npy --input y=%t/y.npy 2>&1 | FileCheck %s --check-prefix=NO-DESCR
# NO-DESCR: spore-run: error: input 'x': {{.*}}no_descr.npy: malformed header: it has no 'descr'
# RUN: not spore-run %s f --cache-dir %t/cache --input x=%t/bad_descr.npy --input y=%t/y.npy 2>&1 | FileCheck %s --check-prefix=BAD-DESCR
# BAD-DESCR: spore-run: error: input 'x': {{.*}}bad_descr.npy: unsupported dtype '<q7'
# RUN: not spore-run %s f --cache-dir %t/cache --input x=%t/bad_shape.npy --input y=%t/y.npy 2>&1 | FileCheck %s --check-prefix=BAD-SHAPE
# BAD-SHAPE: spore-run: error: input 'x': {{.*}}bad_shape.npy: malformed header: 'shape' is not a tuple of ints
# RUN: not spore-run %s f --cache-dir %t/cache --input x=%t/truncated_data.npy --input y=%t/y.npy 2>&1 | FileCheck %s --check-prefix=TRUNCATED-DATA
# TRUNCATED-DATA: spore-run: error: input 'x': {{.*}}truncated_data.npy: data is 10 bytes but the shape and dtype need 24
# RUN: not spore-run %s f --cache-dir %t/cache --input x=%t/header_garbage.npy --input y=%t/y.npy 2>&1 | FileCheck %s --check-prefix=HEADER-GARBAGE
# HEADER-GARBAGE: spore-run: error: input 'x': {{.*}}header_garbage.npy: malformed header: it does not start with '{'
# RUN: not spore-run %s f --cache-dir %t/cache --input x=%t/fortran.npy --input y=%t/y.npy 2>&1 | FileCheck %s --check-prefix=FORTRAN
# FORTRAN: spore-run: error: input 'x': {{.*}}fortran.npy: Fortran-order arrays are not supported
# RUN: not spore-run %s f --cache-dir %t/cache --input x=%t/big_endian.npy --input y=%t/y.npy 2>&1 | FileCheck %s --check-prefix=BIG-ENDIAN
# BIG-ENDIAN: spore-run: error: input 'x': {{.*}}big_endian.npy: unsupported dtype '>f4'
# RUN: not spore-run %s f --cache-dir %t/cache --input x=%t/objects.npy --input y=%t/y.npy 2>&1 | FileCheck %s --check-prefix=OBJECTS
# OBJECTS: spore-run: error: input 'x': {{.*}}objects.npy: unsupported dtype '|O'
# RUN: not spore-run %s f --cache-dir %t/cache --input x=%t/missing.npy --input y=%t/y.npy 2>&1 | FileCheck %s --check-prefix=MISSING
# MISSING: spore-run: error: input 'x': {{.*}}missing.npy: cannot open
# RUN: not spore-run %s f --cache-dir %t/cache --input x=%t/f64.npy --input y=%t/y.npy 2>&1 | FileCheck %s --check-prefix=F64
# F64: spore-run: error: input 'x' from '{{.*}}f64.npy' is f64[2, 3] but 'f' expects f32[2, 3]
# RUN: not spore-run %s f --cache-dir %t/cache --input x=%t/i32.npy --input y=%t/y.npy 2>&1 | FileCheck %s --check-prefix=I32
# I32: spore-run: error: input 'x' from '{{.*}}i32.npy' is i32[2, 3] but 'f' expects f32[2, 3]
# RUN: not spore-run %s f --cache-dir %t/cache --input x=%t/transposed.npy --input y=%t/y.npy 2>&1 | FileCheck %s --check-prefix=TRANSPOSED
# TRANSPOSED: spore-run: error: input 'x' from '{{.*}}transposed.npy' is f32[3, 2] but 'f' expects f32[2, 3]
# RUN: not spore-run %s f --cache-dir %t/cache --input x=%t/scalar.npy --input y=%t/y.npy 2>&1 | FileCheck %s --check-prefix=SCALAR
# SCALAR: spore-run: error: input 'x' from '{{.*}}scalar.npy' is f32 but 'f' expects f32[2, 3]
# RUN: not spore-run %s f --cache-dir %t/cache --input x=%t/rank3.npy --input y=%t/y.npy 2>&1 | FileCheck %s --check-prefix=RANK3
# RANK3: spore-run: error: input 'x' from '{{.*}}rank3.npy' is f32[1, 2, 3] but 'f' expects f32[2, 3]
#
# Nothing was compiled: inputs are checked first.
# RUN: not ls %t/cache/*.so

@export
def f(x: f32[2, 3], y: f32[3]) -> f32[2, 3]:
    return x * y + 1.0
