#!/usr/bin/env python3
"""End-to-end numeric tests: compile models with sporec --shared, call the
exported C entry points through ctypes on random inputs, and compare with an
independent NumPy reference (relative error <= 1e-5 in f32, 1e-12 in f64).

Usage: check_models.py SPOREC WORKDIR
"""
import ctypes
import os
import subprocess
import sys
import textwrap

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import (check_headers, close, erf, log_softmax,  # noqa: E402
                       sigmoid, softmax)

SPOREC, WORKDIR = sys.argv[1], sys.argv[2]
os.makedirs(WORKDIR, exist_ok=True)
rng = np.random.default_rng(1234)


# (name, source, export, input specs [(shape, dtype)], numpy reference)
CASES = [
    ("mlp", """
        def dense(w, b, x):
            return x @ w + b

        @export
        def f(w1: f32[16, 32], b1: f32[32], w2: f32[32, 10], b2: f32[10],
              x: f32[8, 16]) -> f32[8, 10]:
            return softmax(dense(w2, b2, relu(dense(w1, b1, x))), axis=-1)
        """, "f", [((16, 32), "f32"), ((32,), "f32"), ((32, 10), "f32"),
                   ((10,), "f32"), ((8, 16), "f32")],
     lambda w1, b1, w2, b2, x: softmax(np.maximum(x @ w1 + b1, 0) @ w2 + b2)),
    ("elementwise", """
        @export
        def f(x: f32[3, 4], y: f32[4]) -> f32[3, 4]:
            return exp(x) * y - tanh(x) / 2.0 + sigmoid(y) - log(x * x + 1.0)
        """, "f", [((3, 4), "f32"), ((4,), "f32")],
     lambda x, y: np.exp(x) * y - np.tanh(x) / 2 + sigmoid(y) - np.log(x * x + 1)),
    ("broadcast_edges", """
        @export
        def f(a: f32[2, 1, 3], b: f32[4, 1], c: f32) -> f32[2, 4, 3]:
            return maximum(a + b, c) - minimum(a, b) ** 2.0
        """, "f", [((2, 1, 3), "f32"), ((4, 1), "f32"), ((), "f32")],
     lambda a, b, c: np.maximum(a + b, c) - np.minimum(a, b) ** 2),
    ("reductions", """
        @export
        def f(x: f32[3, 4, 5]) -> tuple[f32[3, 5], f32[4], f32[3, 1, 1], f32]:
            return (x.sum(axis=1), mean(x, axis=(0, -1)),
                    max(x, axis=(1, 2), keepdims=True), x.sum())
        """, "f", [((3, 4, 5), "f32")],
     lambda x: (x.sum(axis=1), x.mean(axis=(0, 2)),
                x.max(axis=(1, 2), keepdims=True), x.sum())),
    ("matmul_forms", """
        @export
        def f(a: f32[2, 3, 4], b: f32[4, 5], v: f32[4], m: f32[1, 4, 2]) -> tuple[f32[2, 3, 5], f32[2, 3], f32[5], f32[2, 3, 2]]:
            return a @ b, a @ v, v @ b, matmul(a, m)
        """, "f", [((2, 3, 4), "f32"), ((4, 5), "f32"), ((4,), "f32"),
                   ((1, 4, 2), "f32")],
     lambda a, b, v, m: (a @ b, a @ v, v @ b, a @ m)),
    # Register-tiled and vectorised: 8x32 tiles, prime sizes, batches.
    ("matmul_tiles", """
        @export
        def f(a: f32[64, 96], b: f32[96, 128], c: f32[37, 13], d: f32[13, 29], e: f32[3, 16, 24], g: f32[3, 24, 40]) -> tuple[f32[64, 128], f32[37, 29], f32[3, 16, 40]]:
            return a @ b, c @ d, e @ g
        """, "f", [((64, 96), "f32"), ((96, 128), "f32"), ((37, 13), "f32"),
                   ((13, 29), "f32"), ((3, 16, 24), "f32"), ((3, 24, 40), "f32")],
     lambda a, b, c, d, e, g: (a @ b, c @ d, e @ g)),
    # Transposed operands: read in place by packed products (x^T @ y,
    # h @ w^T), and 16 rows times a transposed weight computed as
    # (w g^T)^T (spore-fold-transposes). Scaled by 1/16 (exactly), so that
    # outputs are about 1 and the check is on absolute error: 256-term f32
    # sums of magnitude 16 differ from the exact ones by ~1e-5 relative.
    ("matmul_transposed", """
        @export
        def f(g: f32[16, 256], w: f32[384, 256], x: f32[256, 512], y: f32[256, 384], h: f32[256, 256]) -> tuple[f32[16, 384], f32[512, 384], f32[256, 384]]:
            return ((g * 0.0625) @ transpose(w), transpose(x * 0.0625) @ y,
                    (h * 0.0625) @ w.T)
        """, "f", [((16, 256), "f32"), ((384, 256), "f32"), ((256, 512), "f32"),
                   ((256, 384), "f32"), ((256, 256), "f32")],
     lambda g, w, x, y, h: tuple(
         (a.astype(np.float64) * 0.0625 @ b.astype(np.float64))
         for a, b in ((g, w.T), (x.T, y), (h, w.T)))),
    ("shapes", """
        @export
        def f(x: f32[2, 3, 4]) -> tuple[f32[4, 6], f32[4, 3, 2], f32[3, 2, 4], f32[2, 2, 3, 4]]:
            return (x.reshape(-1, 6).T.reshape(4, 6), transpose(x),
                    transpose(x, (1, 0, 2)), broadcast_to(x, (2, 2, 3, 4)))
        """, "f", [((2, 3, 4), "f32")],
     lambda x: (x.reshape(-1, 6).T.reshape(4, 6), x.T, x.transpose(1, 0, 2),
                np.broadcast_to(x, (2, 2, 3, 4)))),
    ("softmax_axes", """
        @export
        def f(x: f32[3, 5]) -> tuple[f32[3, 5], f32[3, 5], f32[3, 5]]:
            return softmax(x, axis=0), log_softmax(x), log_softmax(x * 50.0, axis=0)
        """, "f", [((3, 5), "f32")],
     lambda x: (softmax(x, 0), log_softmax(x), log_softmax(x * 50, 0))),
    ("f64_and_ints", """
        @export
        def f(x: f64[4], i: i32[4], j: i64[4]) -> tuple[f64[4], i64[4], f32[4]]:
            return x * i + 1, i + j * 3, i / 2
        """, "f", [((4,), "f64"), ((4,), "i32"), ((4,), "i64")],
     lambda x, i, j: (x * i + 1, i.astype(np.int64) + j * 3,
                      (i / 2).astype(np.float32))),
    ("constants", """
        K = (2, 3)
        SCALE = 0.5 * K[1]

        @export
        def f(x: f32[2, 3]) -> tuple[f32[2, 3], f32[2, 3], i64]:
            return x * SCALE + ones(K), zeros((2, 3)) - x.astype(f64).astype(f32), x.ndim + 40
        """, "f", [((2, 3), "f32")],
     lambda x: (x * 1.5 + 1, -x, np.int64(42))),
    # Intermediates of 1.4 MB each: beyond the stack budget, on the heap.
    ("heap_intermediates", """
        @export
        def f(a: f32[600, 1], b: f32[600]) -> tuple[f32[600], f32[600]]:
            t = tanh(a * b)
            return t.sum(axis=0), (t * t).sum(axis=1)
        """, "f", [((600, 1), "f32"), ((600,), "f32")],
     lambda a, b: (np.tanh(a * b).sum(axis=0), (np.tanh(a * b) ** 2).sum(axis=1))),
    ("size_zero", """
        @export
        def f(x: f32[0, 3], y: f32[3]) -> tuple[f32[0, 3], f32[3], f32[0]]:
            return x + y, x.sum(axis=0), x.sum(axis=1)
        """, "f", [((0, 3), "f32"), ((3,), "f32")],
     lambda x, y: (x + y, x.sum(axis=0), x.sum(axis=1))),
    ("repeated_result", """
        def twice(a):
            b = a * 2.0
            return b, b

        @export
        def f(a: f32[2, 3]) -> tuple[f32[2, 3], f32[2, 3], f32[2, 3]]:
            b, c = twice(a)
            return b, c, b
        """, "f", [((2, 3), "f32")], lambda a: (2 * a, 2 * a, 2 * a)),
    ("libm", """
        @export
        def f(x: f64[6], y: f32[6]) -> tuple[f64[6], f32[6]]:
            # No LLVM intrinsic computes these: they call libm (f64 always,
            # f32 at -O0 where no polynomial approximation runs).
            a = erf(x) + atan(x) + tan(x) + cosh(x) + asin(x * 0.1)
            return a + expm1(x) + log1p(x * x) + atan2(x, 2.0), erf(y) + tan(y)
        """, "f", [((6,), "f64"), ((6,), "f32")],
     lambda x, y: (erf(x) + np.arctan(x) + np.tan(x) + np.cosh(x)
                   + np.arcsin(x * 0.1) + np.expm1(x) + np.log1p(x * x)
                   + np.arctan2(x, 2.0), erf(y) + np.tan(y))),
]

DTYPES = {"f32": np.float32, "f64": np.float64, "i32": np.int32,
          "i64": np.int64}


def random_input(shape, dtype):
    if dtype.startswith("i"):
        return rng.integers(-5, 6, size=shape).astype(DTYPES[dtype])
    return rng.standard_normal(shape).astype(DTYPES[dtype])


failures = 0
# Every model at -O0 (no approximations, every op through its plain
# lowering) and at the default -O2.
RUNS = [(case, opt) for case in CASES for opt in ("-O0", "-O2")]
INPUTS = {}
for (name, source, export, specs, reference), opt in RUNS:
    src = os.path.join(WORKDIR, name + ".py")
    lib = os.path.join(WORKDIR, "lib%s%s.so" % (name, opt))
    with open(src, "w") as f:
        f.write("from spore import *\n" + textwrap.dedent(source))
    proc = subprocess.run([SPOREC, src, opt, "--shared", "-o", lib],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        print("FAIL %s %s: sporec failed:\n%s" % (name, opt, proc.stderr))
        failures += 1
        continue
    check_headers(WORKDIR, name)
    if name not in INPUTS:
        INPUTS[name] = [random_input(shape, dtype) for shape, dtype in specs]
    inputs = INPUTS[name]
    want = reference(*[x.astype(np.float64) if x.dtype.kind == "f" else x
                       for x in inputs])
    want = list(want) if isinstance(want, tuple) else [want]
    # The reference runs in f64; each output's dtype is read from the
    # generated header's comment.
    header = open(os.path.join(WORKDIR, name + ".h")).read()
    fn = getattr(ctypes.CDLL(lib), name + "_" + export)
    out_arrays = []
    for i, w in enumerate(want):
        marker = "out%d /* " % i
        dtype = header.split(marker, 1)[1].split("[", 1)[0]
        out_arrays.append(np.zeros(np.asarray(w).shape,
                                   dtype={"f32": np.float32, "f64": np.float64,
                                          "i32": np.int32, "i64": np.int64}[dtype]))
    args = [x.ctypes.data_as(ctypes.c_void_p) for x in inputs]
    args += [o.ctypes.data_as(ctypes.c_void_p) for o in out_arrays]
    fn.restype = ctypes.c_int
    before = [x.copy() for x in inputs]
    rc = fn(*args)
    ok = rc == 0
    msg = "returned %d" % rc
    # The ABI's inputs are const: a call must never write into them.
    if not all(np.array_equal(x, y) for x, y in zip(inputs, before)):
        ok, msg = False, "the call wrote into its inputs"
    if ok:
        for i, (got, w) in enumerate(zip(out_arrays, want)):
            good, why = close(got, w)
            if not good:
                ok, msg = False, "output %d: %s" % (i, why)
                break
    print("%s %s %s" % ("PASS" if ok else "FAIL", name, opt)
          + ("" if ok else ": " + msg))
    failures += 0 if ok else 1

print("%d passed, %d failed" % (len(RUNS) - failures, failures))
sys.exit(1 if failures else 0)
