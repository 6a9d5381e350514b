"""NumPy references and the comparison rule shared by the end-to-end tests.

References run in float64; `close` accepts a relative error (against
max(|want|, 1)) of 1e-5 for f32 results and 1e-12 for f64 ones, and exact
equality for integers.
"""
import math
import os

import numpy as np


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


erf = np.vectorize(math.erf)


def layer_norm(x, w, b, eps=1e-5):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w + b


def attention(q, k, v, causal):
    s = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    if causal:
        n, m = s.shape[-2:]
        s = np.where(np.arange(n)[:, None] < np.arange(m)[None, :], -1e30, s)
    return softmax(s) @ v


def conv2d(x, w, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1),
           groups=1):
    x = np.pad(x, ((0, 0), padding[0], padding[1], (0, 0)))
    n, h, wd, _ = x.shape
    kh, kw, cg, f = w.shape
    oh = (h - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, oh, ow, f))
    fg = f // groups
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                r, c = i * dilation[0], j * dilation[1]
                patch = x[:, r:r + stride[0] * (oh - 1) + 1:stride[0],
                          c:c + stride[1] * (ow - 1) + 1:stride[1],
                          g * cg:(g + 1) * cg]
                out[..., g * fg:(g + 1) * fg] += np.einsum(
                    "nhwc,cf->nhwf", patch, w[i, j, :, g * fg:(g + 1) * fg])
    return out


def pool2d(x, k, stride, pad, kind):
    fill = -np.inf if kind == "max" else 0.0
    x = np.pad(x, ((0, 0), pad[0], pad[1], (0, 0)), constant_values=fill)
    n, h, w, c = x.shape
    oh, ow = (h - k[0]) // stride[0] + 1, (w - k[1]) // stride[1] + 1
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            win = x[:, i * stride[0]:i * stride[0] + k[0],
                    j * stride[1]:j * stride[1] + k[1]]
            out[:, i, j] = win.max((1, 2)) if kind == "max" else win.mean((1, 2))
    return out


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
    check_headers(workdir, name)
    return ctypes.CDLL(lib), src


RUNTIME_INCLUDE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                               "..", "..", "runtime", "include")


def check_headers(workdir, name):
    """Compiles the NAME.h and NAME.hpp that sporec wrote into WORKDIR as
    C11 and C++17 with every warning an error (docs/guarantees.md): every
    model of the tests has headers that compile. Exits on failure."""
    import subprocess
    import sys

    for compiler, std, header, ext in (("cc", "c11", name + ".h", "c"),
                                       ("c++", "c++17", name + ".hpp", "cpp")):
        unit = os.path.join(workdir, "%s_header.%s" % (name, ext))
        with open(unit, "w") as f:
            f.write('#include "%s"\n' % header)
        proc = subprocess.run(
            [compiler, "-std=" + std, "-Wall", "-Wextra", "-Werror",
             "-I", workdir, "-I", RUNTIME_INCLUDE, "-fsyntax-only", unit],
            capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit("FAIL: %s does not compile as %s:\n%s"
                     % (os.path.join(workdir, header), std, proc.stderr))
