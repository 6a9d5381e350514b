# An assert on run-time values fails the entry point with its message
# (compiled: SPORE_ERROR_ASSERT, 5, and spore_last_error; in the
# interpreter: it stops), and the next call starts clean.
#
# RUN: rm -rf %t && mkdir -p %t
# RUN: %python -c "import numpy as np; np.save('%t/good.npy', np.ones(3, np.float32)); np.save('%t/neg.npy', -np.ones(3, np.float32)); np.save('%t/big.npy', np.array([1, 1, 500], np.float32))"
# RUN: spore-run %s f --cache-dir %t/cache --input x=%t/good.npy --out %t/o
# RUN: spore-run --eager %s f --input x=%t/good.npy --out %t/o
# RUN: not spore-run %s f --cache-dir %t/cache --input x=%t/neg.npy --out %t/o 2>&1 | FileCheck %s --check-prefix=SUM
# RUN: not spore-run --eager %s f --input x=%t/neg.npy --out %t/o 2>&1 | FileCheck %s --check-prefix=SUM-EAGER
# RUN: not spore-run %s f --cache-dir %t/cache --input x=%t/big.npy --out %t/o 2>&1 | FileCheck %s --check-prefix=LOOP
# SUM: spore-run: error: 'f' failed (5): assert.py:23: assertion failed: x must have a positive sum
# SUM-EAGER: spore-run: error: the interpreter stopped: assert.py:23: assertion failed: x must have a positive sum
# LOOP: spore-run: error: 'f' failed (5): assert.py:25: assertion failed
#
# RUN: sporec %s --shared -o %t/libassert.so
# RUN: %python -c "import ctypes, numpy as np; lib = ctypes.CDLL('%t/libassert.so'); out = np.zeros(3, np.float32); call = lambda x: lib.assert_f(np.asarray(x, np.float32).ctypes.data_as(ctypes.c_void_p), out.ctypes.data_as(ctypes.c_void_p)); print(call([-1, -1, -1]), call([1, 2, 3]), out)" | FileCheck %s --check-prefix=STATUS
# STATUS: 5 0 [2. 4. 6.]


@export
def f(x: f32[3]) -> f32[3]:
    assert x.sum() > 0.0, "x must have a positive sum"
    for i in range(3):
        assert x[i] < 100.0
    return x * 2.0
