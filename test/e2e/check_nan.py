#!/usr/bin/env python3
"""argmax and argmin with NaN (docs/guarantees.md): the index of the first
NaN, as NumPy, compiled and through the interpreter; without NaN, the
first extreme. They used to return one past the end.

Usage: check_nan.py SPOREC SPORE_RUN WORKDIR
"""
import ctypes
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import compile_shared  # noqa: E402

SOURCE = """
@export
def extremes(x: f32[2, 4]) -> tuple[i64[2], i64[2], i64, i64[4]]:
    return argmax(x, axis=1), argmin(x, axis=1), argmax(x), argmin(x, axis=0)
"""

NAN = float("nan")
INPUTS = [
    np.array([[1, NAN, 3, 2], [5, 1, 5, -1]], np.float32),
    np.array([[3, 2, 1, NAN], [NAN, NAN, 0, 9]], np.float32),
    np.array([[-np.inf, np.inf, 0, 2], [1, 2, np.inf, np.inf]], np.float32),
]


def numpy_extremes(x):
    return (np.argmax(x, axis=1), np.argmin(x, axis=1), np.argmax(x),
            np.argmin(x, axis=0))


def main():
    sporec, spore_run, workdir = sys.argv[1:4]
    os.makedirs(workdir, exist_ok=True)
    library, src = compile_shared(sporec, SOURCE, workdir, "nan")
    fn = library.nan_extremes
    fn.restype = ctypes.c_int
    failures = 0
    for k, x in enumerate(INPUTS):
        want = numpy_extremes(x)
        outs = [np.zeros(np.shape(w), np.int64) for w in want]
        rc = fn(*[a.ctypes.data_as(ctypes.c_void_p) for a in [x] + outs])
        path = os.path.join(workdir, "x%d.npy" % k)
        np.save(path, x)
        out = os.path.join(workdir, "eager%d" % k)
        subprocess.run([spore_run, "--eager", src, "extremes", "--input",
                        "x=" + path, "--out", out], check=True)
        eager = [np.load(os.path.join(out, "extremes.%d.npy" % i))
                 for i in range(len(want))]
        ok = rc == 0 and all(np.array_equal(g, w) and np.array_equal(e, w)
                             for g, e, w in zip(outs, eager, want))
        print("%s %s: compiled %s, eager %s, NumPy %s" % (
            "PASS" if ok else "FAIL", x.tolist(), [o.tolist() for o in outs],
            [e.tolist() for e in eager], [np.asarray(w).tolist()
                                          for w in want]))
        failures += not ok
    print("%d passed, %d failed" % (len(INPUTS) - failures, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
