#!/usr/bin/env python3
"""The primitive library end to end: each primitive of language.md §5 that
is implemented, compiled by sporec and compared with an independent NumPy
reference on random inputs, including broadcasting, size-1 and size-0
dimensions and negative axes. Relative error <= 1e-5 in f32 (1e-4 where a
transcendental of the approximated kind is involved), exact for integers.

Each is also run by the reference interpreter (spore-run --eager, next to
SPOREC) on the same inputs, which must agree with the compiled result
(relative error <= 1e-4, exact for integers).

Usage: check_primitives.py SPOREC WORKDIR
"""
import ctypes
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import (attention, compile_shared, conv2d, erf,  # noqa: E402
                       layer_norm, log_softmax, pool2d, sigmoid, softmax)

import mpmath  # noqa: E402

LGAMMA = np.vectorize(lambda v: float(mpmath.log(abs(mpmath.gamma(v)))))
DIGAMMA = np.vectorize(lambda v: float(mpmath.digamma(v)))
POLYGAMMA = np.vectorize(lambda n, v: float(mpmath.polygamma(n, v)))

SPOREC, WORKDIR = sys.argv[1], sys.argv[2]
os.makedirs(WORKDIR, exist_ok=True)
rng = np.random.default_rng(21)

# Input kinds: "n" normal, "u" uniform in (0.05, 0.95), "p" positive,
# "i" small integers, "l" labels in [0, 5).
def make(kind, shape):
    if kind == "n":
        return rng.standard_normal(shape).astype(np.float32)
    if kind == "u":
        return rng.uniform(0.05, 0.95, shape).astype(np.float32)
    if kind == "p":
        return rng.uniform(0.5, 3.0, shape).astype(np.float32)
    if kind == "h":  # halves, to test rounding to even
        return (rng.integers(-6, 7, shape) / 2.0).astype(np.float32)
    if kind == "l":
        return rng.integers(0, 5, shape).astype(np.int32)
    return rng.integers(-4, 5, shape).astype(np.int64)


def _scatter(a, l, u):
    out = a.copy()
    np.add.at(out, l, u)
    return out


# (name, expression, [(param, type, kind, shape)], reference, tolerance)
F = "f32"
CASES = [
    ("abs", "abs(a)", [("a", F, "n", (3, 4))], np.abs),
    ("abs_int", "abs(a)", [("a", "i64", "i", (5,))], np.abs),
    ("sqrt", "sqrt(a)", [("a", F, "p", (3, 4))], np.sqrt),
    ("rsqrt", "rsqrt(a)", [("a", F, "p", (6,))], lambda a: 1 / np.sqrt(a)),
    ("expm1", "expm1(a * 1e-3)", [("a", F, "n", (6,))], lambda a: np.expm1(a * 1e-3)),
    ("log1p", "log1p(a * 1e-3)", [("a", F, "n", (6,))], lambda a: np.log1p(a * 1e-3)),
    ("trig", "sin(a) + cos(a) * tan(a * 0.5)", [("a", F, "n", (2, 5))],
     lambda a: np.sin(a) + np.cos(a) * np.tan(a * 0.5)),
    ("hyperbolic", "sinh(a) - cosh(a) * 0.5", [("a", F, "n", (7,))],
     lambda a: np.sinh(a) - np.cosh(a) * 0.5),
    ("inverse_trig", "asin(a) + acos(a) * atan(a)", [("a", F, "u", (6,))],
     lambda a: np.arcsin(a) + np.arccos(a) * np.arctan(a)),
    ("atan2", "atan2(a, b)", [("a", F, "n", (3, 1)), ("b", F, "n", (4,))], np.arctan2),
    ("erf", "erf(a)", [("a", F, "n", (8,))], erf),
    # Special functions against mpmath (in f64: check_special.py), with
    # negative arguments through the reflection formulas.
    ("lgamma", "lgamma(a * 8.0) + lgamma(-a - 0.5)", [("a", F, "p", (9,))],
     lambda a: LGAMMA(a * 8.0) + LGAMMA(-a - 0.5)),
    ("digamma", "digamma(a * 8.0) + digamma(-a - 0.5)",
     [("a", F, "p", (9,))],
     lambda a: DIGAMMA(a * 8.0) + DIGAMMA(-a - 0.5)),
    ("polygamma", "polygamma(1, a) + polygamma(4, a * 9.0)",
     [("a", F, "p", (9,))],
     lambda a: POLYGAMMA(1, a) + POLYGAMMA(4, a * 9.0)),
    ("rounding", "floor(a) + ceil(a) * 10.0 + round(a) * 100.0",
     [("a", F, "h", (12,))], lambda a: np.floor(a) + np.ceil(a) * 10 + np.round(a) * 100),
    ("where", "where(a > 0, a, b)", [("a", F, "n", (3, 4)), ("b", F, "n", (4,))],
     lambda a, b: np.where(a > 0, a, b)),
    ("where_literal", "where(a > 0.5, 1.0, a)", [("a", F, "n", (5,))],
     lambda a: np.where(a > 0.5, 1.0, a)),
    ("min_prod", "min(a, axis=-1) + prod(a, axis=(0, 2))",
     [("a", F, "u", (2, 3, 2))], lambda a: a.min(-1) + a.prod((0, 2))),
    ("argmax", "argmax(a, axis=1) * 10 + argmin(a, axis=-1)",
     [("a", F, "n", (4, 6))], lambda a: a.argmax(1) * 10 + a.argmin(-1)),
    ("argmax_flat", "argmax(a)", [("a", F, "n", (3, 5))], lambda a: np.int64(a.argmax())),
    ("any_all", "any(a > 1.0, axis=0).astype(i32) * 2 + all(a > -1.5, axis=0).astype(i32)",
     [("a", F, "n", (5, 4))], lambda a: np.any(a > 1, 0).astype(np.int32) * 2 + np.all(a > -1.5, 0)),
    ("var_std", "var(a, axis=0) + std(a, axis=-1, keepdims=True)",
     [("a", F, "n", (4, 4))], lambda a: a.var(0) + a.std(-1, keepdims=True)),
    ("logsumexp", "logsumexp(a * 30.0, axis=1)", [("a", F, "n", (3, 5))],
     lambda a: np.log(np.exp(a * 30 - (a * 30).max(1, keepdims=True)).sum(1)) + (a * 30).max(1)),
    ("activations", "silu(a) + gelu(a) + gelu(a, approximate=True) + softplus(a * 20.0)",
     [("a", F, "n", (9,))],
     lambda a: a * sigmoid(a) + 0.5 * a * (1 + erf(a / math.sqrt(2)))
     + 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3)))
     + np.logaddexp(0, a * 20)),
    ("clip_sign", "clip(a, -0.5, 0.5) + sign(a) * 10.0", [("a", F, "n", (3, 3))],
     lambda a: np.clip(a, -0.5, 0.5) + np.sign(a) * 10),
    ("isnan", "isnan(sqrt(a)).astype(i32)", [("a", F, "n", (8,))],
     lambda a: (a < 0).astype(np.int32)),
    ("mse", "mse(a, b)", [("a", F, "n", (4, 3)), ("b", F, "n", (3,))],
     lambda a, b: ((a - b) ** 2).mean()),
    ("layer_norm", "layer_norm(a, w, b)", [("a", F, "n", (3, 8)), ("w", F, "n", (8,)),
                                           ("b", F, "n", (8,))], layer_norm),
    ("rms_norm", "rms_norm(a, w)", [("a", F, "n", (2, 6)), ("w", F, "n", (6,))],
     lambda a, w: a / np.sqrt((a * a).mean(-1, keepdims=True) + 1e-6) * w),
    ("expand_squeeze", "squeeze(expand_dims(a, -1), axis=2) + expand_dims(a, 0)[0]",
     [("a", F, "n", (2, 3))], lambda a: a + a),
    ("squeeze_all", "squeeze(a)", [("a", F, "n", (1, 3, 1, 2))], np.squeeze),
    ("flip", "flip(a, axis=(0, -1)) + flip(a)", [("a", F, "n", (3, 4))],
     lambda a: np.flip(a, (0, 1)) + np.flip(a)),
    ("like", "zeros_like(a) + ones_like(a) * 2.0", [("a", F, "n", (2, 2))],
     lambda a: np.full_like(a, 2.0)),
    ("outer_dot", "outer(a, b) + dot(a, b)", [("a", F, "n", (4,)), ("b", F, "n", (4,))],
     lambda a, b: np.outer(a, b) + np.dot(a, b)),
    ("dot_matrix", "dot(a, b)", [("a", F, "n", (3, 4)), ("b", F, "n", (4, 2))], np.dot),
    ("stack", "stack((a, b, a), axis=1)", [("a", F, "n", (2, 3)), ("b", F, "n", (2, 3))],
     lambda a, b: np.stack((a, b, a), axis=1)),
    ("concatenate", "concatenate((a, b, a[:, :0]), axis=-1)",
     [("a", F, "n", (2, 3)), ("b", F, "n", (2, 1))],
     lambda a, b: np.concatenate((a, b, a[:, :0]), axis=-1)),
    ("split", "split(a, 3, axis=1)[1] + split(a, (1, 4), axis=1)[2][:, :2]",
     [("a", F, "n", (2, 6))],
     lambda a: np.split(a, 3, axis=1)[1] + np.split(a, (1, 4), axis=1)[2][:, :2]),
    ("pad", "pad(a, ((1, 0), (2, 1)), constant_values=-1.0)", [("a", F, "n", (2, 3))],
     lambda a: np.pad(a, ((1, 0), (2, 1)), constant_values=-1)),
    ("tile_repeat", "tile(a, (2, 3)) + repeat(a, 3, axis=1)[:, :2].sum()",
     [("a", F, "n", (2, 2))], lambda a: np.tile(a, (2, 3)) + np.repeat(a, 3, 1)[:, :2].sum()),
    ("tril_triu", "tril(a) + triu(a, k=1) * 10.0", [("a", F, "n", (4, 5))],
     lambda a: np.tril(a) + np.triu(a, 1) * 10),
    ("one_hot", "one_hot(l, 5)", [("l", "i32", "l", (6,))],
     lambda l: np.eye(5, dtype=np.float32)[l]),
    ("cross_entropy", "cross_entropy(a, l)", [("a", F, "n", (6, 5)), ("l", "i32", "l", (6,))],
     lambda a, l: -log_softmax(a)[np.arange(6), l].mean()),
    ("cross_entropy_soft", "cross_entropy(a, softmax(b))",
     [("a", F, "n", (3, 5)), ("b", F, "n", (3, 5))],
     lambda a, b: -(softmax(b) * log_softmax(a)).sum(-1).mean()),
    ("construct", "arange(6).astype(f32) + linspace(0.0, 1.0, 6) + eye(6)[2] + arange(1.0, 2.0, 0.25)[1]",
     [], lambda: np.arange(6) + np.linspace(0, 1, 6) + np.eye(6)[2] + 1.25),
    ("attention", "attention(q, k, v) + attention(q, k, v, causal=True)",
     [("q", F, "n", (2, 4, 8)), ("k", F, "n", (2, 4, 8)), ("v", F, "n", (2, 4, 3))],
     lambda q, k, v: attention(q, k, v, False) + attention(q, k, v, True)),
    ("conv2d", "conv2d(x, w)", [("x", F, "n", (2, 6, 5, 3)), ("w", F, "n", (3, 2, 3, 4))],
     lambda x, w: conv2d(x, w)),
    ("conv2d_strided", "conv2d(x, w, stride=2, padding=1, dilation=(1, 2))",
     [("x", F, "n", (1, 7, 8, 2)), ("w", F, "n", (3, 3, 2, 5))],
     lambda x, w: conv2d(x, w, (2, 2), ((1, 1), (1, 1)), (1, 2))),
    ("conv2d_same_groups", "conv2d(x, w, padding='same', groups=2)",
     [("x", F, "n", (2, 5, 5, 4)), ("w", F, "n", (3, 3, 2, 6))],
     lambda x, w: conv2d(x, w, padding=((1, 1), (1, 1)), groups=2)),
    ("pools", "max_pool2d(x, 2) + avg_pool2d(x, (2, 2), stride=2)",
     [("x", F, "n", (2, 6, 4, 3))],
     lambda x: pool2d(x, (2, 2), (2, 2), ((0, 0), (0, 0)), "max")
     + pool2d(x, (2, 2), (2, 2), ((0, 0), (0, 0)), "avg")),
    ("pools_padded", "max_pool2d(x, 3, stride=1, padding=1) - avg_pool2d(x, 3, stride=2, padding=1)[:, :1, :1]",
     [("x", F, "n", (1, 4, 4, 2))],
     lambda x: pool2d(x, (3, 3), (1, 1), ((1, 1), (1, 1)), "max")
     - pool2d(x, (3, 3), (2, 2), ((1, 1), (1, 1)), "avg")[:, :1, :1]),
    ("diag", "diag(a) + diag(diag(a), k=1)[:3, 1:] + diag(b, k=-1).sum()",
     [("a", F, "n", (3, 4)), ("b", F, "n", (4, 3))],
     lambda a, b: np.diag(a) + np.diag(np.diag(a), 1)[:3, 1:] + np.diag(b, -1).sum()),
    ("cumsum", "cumsum(a, axis=1) + cumsum(a, axis=-3)[0, 0, 0] + cumsum(a)[:1].sum()",
     [("a", F, "n", (2, 4, 3))],
     lambda a: np.cumsum(a, 1) + np.cumsum(a, -3)[0, 0, 0] + np.cumsum(a)[:1].sum()),
    ("cumsum_int", "cumsum(a, axis=0)", [("a", "i64", "i", (6,))], lambda a: np.cumsum(a, 0)),
    ("einsum_matmul", "einsum('bij,bjk->bik', a, b)",
     [("a", F, "n", (2, 3, 4)), ("b", F, "n", (2, 4, 5))],
     lambda a, b: np.einsum("bij,bjk->bik", a, b)),
    ("einsum_misc", "einsum('ij->ji', a) + einsum('ij,j', a, v)[None, :] + einsum('ij,ij->', a, a)",
     [("a", F, "n", (3, 4)), ("v", F, "n", (4,))],
     lambda a, v: a.T + np.einsum("ij,j", a, v)[None, :] + np.einsum("ij,ij->", a, a)),
    ("einsum_three", "einsum('ab,bc,cd->ad', a, b, c) + einsum('i,j->ij', a[0], c[0])[:2, :3]",
     [("a", F, "n", (2, 3)), ("b", F, "n", (3, 4)), ("c", F, "n", (4, 3))],
     lambda a, b, c: np.einsum("ab,bc,cd->ad", a, b, c) + np.outer(a[0], c[0])[:2, :3]),
    ("gather_fn", "gather(a, l, axis=1) + take_first(a)",
     [("a", F, "n", (3, 5)), ("l", "i32", "l", (2, 2))],
     lambda a, l: a[:, l] + a[0:1, 0:1].reshape(1, 1, 1)),
    ("scatter_add", "scatter_add(a, l, u, axis=0)",
     [("a", F, "n", (5, 3)), ("l", "i32", "l", (4,)), ("u", F, "n", (4, 3))],
     lambda a, l, u: _scatter(a, l, u)),
    ("slice_fn", "slice(a, (1, 2), (2, 3)) + slice(a, (9, -5), (2, 3))",
     [("a", F, "n", (4, 6))], lambda a: a[1:3, 2:5] + a[2:4, 0:3]),
    ("size_zero", "sqrt(abs(a)).sum(axis=0) + min(b, axis=1)",
     [("a", F, "n", (0, 3)), ("b", F, "n", (3, 2))], lambda a, b: np.sqrt(np.abs(a)).sum(0) + b.min(1)),
]

DT = {"f32": np.float32, "i64": np.int64, "i32": np.int32}
DTNAME = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64",
          np.dtype(np.int64): "i64", np.dtype(np.int32): "i32",
          np.dtype(np.bool_): "bool"}

# Result types come from the references (run in float32 where the inputs
# are float32), then the exports are written with them.
inputs = {}
source = "from spore import *\n\n\ndef take_first(a):\n    return a[0:1, 0:1].reshape(1, 1, 1)\n\n\n"
for name, expr, params, reference in CASES:
    args = [make(kind, shape) for _, _, kind, shape in params]
    inputs[name] = args
    want = np.asarray(reference(*args))
    if want.dtype == np.float64:
        want = want.astype(np.float32)
    rtype = DTNAME[want.dtype] + (str(list(want.shape)) if want.ndim else "")
    sig = ", ".join("%s: %s%s" % (p, t, list(s) if s else "")
                    for p, t, _, s in params)
    source += "@export\ndef t_%s(%s) -> %s:\n    return %s\n\n\n" % (
        name, sig, rtype, expr)
library, src = compile_shared(SPOREC, source, WORKDIR, "primitives")

SPORE_RUN = os.path.join(os.path.dirname(SPOREC), "spore-run")


def agrees_with_interpreter(name, params, args, compiled):
    """Runs the export with spore-run --eager and compares."""
    import subprocess
    out = os.path.join(WORKDIR, "eager_" + name)
    cmd = [SPORE_RUN, "--eager", src, "t_" + name, "--out", out]
    for (pname, _, _, _), a in zip(params, args):
        path = os.path.join(WORKDIR, "%s_%s.npy" % (name, pname))
        np.save(path, a)
        cmd += ["--input", "%s=%s" % (pname, path)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return False, "interpreter: " + proc.stderr.strip()
    eager = np.load(os.path.join(out, "t_%s.0.npy" % name))
    if compiled.dtype.kind in "iub":
        return bool(np.array_equal(eager, compiled)), "interpreter differs"
    if not compiled.size:
        return True, ""
    c64, e64 = compiled.astype(np.float64), eager.astype(np.float64)
    same = (c64 == e64) | (np.isnan(c64) & np.isnan(e64))
    err = float(np.max(np.where(same, 0, np.abs(c64 - e64) /
                                np.maximum(np.abs(e64), 1.0))))
    return err <= 1e-4, "interpreter differs by %.3g" % err


failures = 0
for name, expr, params, reference in CASES:
    args = inputs[name]
    want = np.asarray(reference(*[a.astype(np.float64) if a.dtype == np.float32
                                  else a for a in args]))
    dtype = np.float32 if want.dtype.kind == "f" else want.dtype
    if want.dtype == np.bool_:
        dtype = np.bool_
    got = np.zeros(want.shape, dtype)
    fn = getattr(library, "primitives_t_" + name)
    fn.restype = ctypes.c_int
    before = [a.copy() for a in args]
    rc = fn(*[a.ctypes.data_as(ctypes.c_void_p) for a in args + [got]])
    # The ABI's inputs are const: a call must never write into them.
    if not all(np.array_equal(a, b, equal_nan=True) for a, b in zip(args, before)):
        print("FAIL %s: the call wrote into its inputs" % name)
        failures += 1
        continue
    if want.dtype.kind in "iub":
        ok = rc == 0 and np.array_equal(got, want.astype(dtype))
        why = "" if ok else "got %s want %s" % (got, want)
    else:
        err = (np.max(np.abs(got - want) / np.maximum(np.abs(want), 1.0))
               if want.size else 0.0)
        ok = rc == 0 and err <= 2e-5
        why = "" if ok else "max relative error %.3g" % err
    if ok:
        ok, why = agrees_with_interpreter(name, params, args, got)
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + why))
    failures += not ok
print("%d primitives, %d failed" % (len(CASES), failures))
sys.exit(1 if failures else 0)
