"""NumPy references and the comparison rule shared by the end-to-end tests.

References run in float64; `close` accepts a relative error (against
max(|want|, 1)) of 1e-5 for f32 results and 1e-12 for f64 ones, and exact
equality for integers.
"""
import numpy as np


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def mlp(w1, b1, w2, b2, x):
    """examples/mlp/mlp.py's predict."""
    return softmax(np.maximum(x @ w1 + b1, 0) @ w2 + b2, axis=-1)


def close(got, want):
    """(ok, why) for a computed array against its reference."""
    want = np.asarray(want)
    got = np.asarray(got)
    if got.shape != want.shape:
        return False, "shape %s vs %s" % (got.shape, want.shape)
    if want.size == 0:
        return True, ""
    if np.issubdtype(want.dtype, np.integer):
        return bool(np.array_equal(got, want)), "integers differ"
    tol = 1e-12 if got.dtype == np.float64 else 1e-5
    scale = np.maximum(np.abs(want), 1.0)
    err = float(np.max(np.abs(got.astype(np.float64) - want) / scale))
    return err <= tol, "max relative error %.3g > %g" % (err, tol)


class _DType:
    """A dtype name of the language in CPython: `f32[3]` annotates, and
    `x.astype(f32)` converts (NumPy reads the `dtype` attribute)."""

    def __init__(self, name):
        self.dtype = np.dtype(name)

    def __getitem__(self, _):
        return self


def oracle(source, filename="<model>"):
    """Runs model source with CPython, on NumPy values: the language is a
    subset of Python, so the same functions are an independent reference.
    Returns the module's namespace."""
    names = {
        "f16": _DType("float16"), "f32": _DType("float32"),
        "f64": _DType("float64"), "i8": _DType("int8"),
        "i32": _DType("int32"), "i64": _DType("int64"),
        "export": lambda fn: fn,
        "tanh": np.tanh, "exp": np.exp, "log": np.log, "sigmoid": sigmoid,
        "relu": lambda x: np.maximum(x, 0), "maximum": np.maximum,
        "minimum": np.minimum, "softmax": softmax, "log_softmax": log_softmax,
        "zeros": lambda s, dtype=None: np.zeros(s, np.float32),
        "ones": lambda s, dtype=None: np.ones(s, np.float32),
    }
    # `from spore import *` has no CPython module: blank it (keeping lines).
    lines = ["" if l.startswith(("from spore", "import spore")) else l
             for l in source.split("\n")]
    exec(compile("\n".join(lines), filename, "exec"), names)
    return names


def compile_shared(sporec, source, workdir, name):
    """Writes `source` to WORKDIR/NAME.py, compiles it with `sporec
    --shared` and loads the library; exits with sporec's errors on
    failure. Returns (library, path of the source)."""
    import ctypes
    import os
    import subprocess
    import sys

    src = os.path.join(workdir, name + ".py")
    lib = os.path.join(workdir, "lib%s.so" % name)
    with open(src, "w") as f:
        f.write(source)
    proc = subprocess.run([sporec, src, "--shared", "-o", lib],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit("FAIL: sporec could not compile %s:\n%s" % (src, proc.stderr))
    return ctypes.CDLL(lib), src
