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
