#!/usr/bin/env python3
"""One answer for NaN, infinities, -0 and empty axes (docs/guarantees.md#nan):
a table of reductions, normalisers, comparisons and elementwise ops, each
applied to rows that hold NaN, +-inf, -0 and overflowing values, computed
compiled, through the interpreter (spore-run --eager) and by NumPy, which
defines the answer. Float results must agree bit for bit up to rounding,
with NaN equal to NaN and the sign of zero compared. Where NumPy leaves
the sign of a zero open (np.maximum(0, -0) may give either), Spore follows
IEEE 754-2019's maximum and minimum: -0 < +0.

Before this test: argmax/argmin of [1, nan, 3, 2] returned 4 (one past the
end); softmax([inf, 1, 2]) was [nan, 0, 0] compiled; logsumexp of a row
with +inf or all -inf was NaN; sign(nan) was 0; x % inf was NaN; 1 // 0.1
was 10; any/all over an empty axis did not compile.

Usage: check_nan.py SPOREC SPORE_RUN WORKDIR
"""
import functools
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import compile_shared, log_softmax, softmax  # noqa: E402

NAN, INF = float("nan"), float("inf")

# Each row of X is one input; reductions and normalisers work along axis 1.
X = np.array([
    [1, NAN, 3, 2, -1],
    [INF, 1, 2, -INF, 0],
    [INF, INF, 1, 2, 3],
    [-INF, -INF, -INF, -INF, -INF],
    [-0.0, 0.0, -0.0, 1, -1],
    [NAN, NAN, NAN, NAN, NAN],
    [3e38, 3e38, 1, -1, 2],
    [0.0, -0.0, 0.0, -0.0, 0.0],
    [1, 2, -3, 7, 0.5],
    [-0.0, -0.0, -0.0, -0.0, -0.0],
], np.float32)
# Partners of binary ops, broadcast against every row of X.
Y = np.array([
    [NAN, 0.0, -0.0, INF, 2.0],
    [0.1, -INF, -2.0, 3.0, -0.5],
], np.float32)


def logsumexp(x):
    # scipy.special.logsumexp: shifted by the maximum where it is finite.
    m = np.max(x, axis=1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    return np.log(np.sum(np.exp(x - m), axis=1)) + m[:, 0]


def ieee_maximum(a, b):
    """IEEE 754-2019 maximum, Spore's max: NaN wins and +0 > -0. NumPy's
    np.maximum returns either zero on a tie of signed zeros."""
    r = np.maximum(a, b)
    tie = (a == 0) & (b == 0)
    both_negative = np.signbit(a) & np.signbit(b)
    return np.where(tie, np.where(both_negative, -0.0, 0.0), r).astype(r.dtype)


def ieee_minimum(a, b):
    """IEEE 754-2019 minimum: NaN wins and -0 < +0."""
    r = np.minimum(a, b)
    tie = (a == 0) & (b == 0)
    either_negative = np.signbit(a) | np.signbit(b)
    return np.where(tie, np.where(either_negative, -0.0, 0.0),
                    r).astype(r.dtype)


def along_rows(f, x):
    """f folded over the columns of x: a reduction along axis 1."""
    return functools.reduce(f, [x[:, j] for j in range(x.shape[1])])


XY = "x[:, None, :], y[None, :, :]"  # the broadcast of a binary op
# name: (Spore expression, NumPy reference, Spore result type)
TABLE = {
    "sum": ("sum(x, axis=1)", lambda x, y: np.sum(x, 1), "f32[10]"),
    "mean": ("mean(x, axis=1)", lambda x, y: np.mean(x, 1), "f32[10]"),
    "prod": ("prod(x, axis=1)", lambda x, y: np.prod(x, 1), "f32[10]"),
    "max": ("max(x, axis=1)", lambda x, y: along_rows(ieee_maximum, x),
            "f32[10]"),
    "min": ("min(x, axis=1)", lambda x, y: along_rows(ieee_minimum, x),
            "f32[10]"),
    "var": ("var(x, axis=1)", lambda x, y: np.var(x, 1), "f32[10]"),
    "std": ("std(x, axis=1)", lambda x, y: np.std(x, 1), "f32[10]"),
    "logsumexp": ("logsumexp(x, axis=1)", lambda x, y: logsumexp(x),
                  "f32[10]"),
    "cumsum": ("cumsum(x, axis=1)", lambda x, y: np.cumsum(x, 1),
               "f32[10, 5]"),
    "argmax": ("argmax(x, axis=1)", lambda x, y: np.argmax(x, 1), "i64[10]"),
    "argmin": ("argmin(x, axis=1)", lambda x, y: np.argmin(x, 1), "i64[10]"),
    "argmax_flat": ("argmax(x)", lambda x, y: np.argmax(x), "i64"),
    "argmin_axis0": ("argmin(x, axis=0)", lambda x, y: np.argmin(x, 0),
                     "i64[5]"),
    "any": ("any(x > 0.0, axis=1)", lambda x, y: np.any(x > 0, 1),
            "bool[10]"),
    "all": ("all(x > 0.0, axis=1)", lambda x, y: np.all(x > 0, 1),
            "bool[10]"),
    "softmax": ("softmax(x, axis=1)", lambda x, y: softmax(x, 1),
                "f32[10, 5]"),
    "log_softmax": ("log_softmax(x, axis=1)",
                    lambda x, y: log_softmax(x, 1), "f32[10, 5]"),
    "abs": ("abs(x)", lambda x, y: np.abs(x), "f32[10, 5]"),
    "neg": ("-x", lambda x, y: -x, "f32[10, 5]"),
    "sign": ("sign(x)", lambda x, y: np.sign(x), "f32[10, 5]"),
    "relu": ("relu(x)", lambda x, y: np.maximum(x, 0), "f32[10, 5]"),
    "clip": ("clip(x, -1.0, 1.0)", lambda x, y: np.clip(x, -1, 1),
             "f32[10, 5]"),
    "round": ("round(x)", lambda x, y: np.round(x), "f32[10, 5]"),
    "floor": ("floor(x)", lambda x, y: np.floor(x), "f32[10, 5]"),
    "sqrt": ("sqrt(x)", lambda x, y: np.sqrt(x), "f32[10, 5]"),
    "log": ("log(x)", lambda x, y: np.log(x), "f32[10, 5]"),
    "exp": ("exp(x)", lambda x, y: np.exp(x), "f32[10, 5]"),
    "tanh": ("tanh(x)", lambda x, y: np.tanh(x), "f32[10, 5]"),
    "isnan": ("isnan(x)", lambda x, y: np.isnan(x), "bool[10, 5]"),
    "maximum": ("maximum(%s)" % XY,
                lambda x, y: ieee_maximum(x[:, None], y[None]),
                "f32[10, 2, 5]"),
    "minimum": ("minimum(%s)" % XY,
                lambda x, y: ieee_minimum(x[:, None], y[None]),
                "f32[10, 2, 5]"),
    "where": ("where(x[:, None, :] > y[None, :, :], %s)" % XY,
              lambda x, y: np.where(x[:, None] > y[None], x[:, None],
                                    y[None]), "f32[10, 2, 5]"),
    "gt": ("x[:, None, :] > y[None, :, :]",
           lambda x, y: x[:, None] > y[None], "bool[10, 2, 5]"),
    "ge": ("x[:, None, :] >= y[None, :, :]",
           lambda x, y: x[:, None] >= y[None], "bool[10, 2, 5]"),
    "lt": ("x[:, None, :] < y[None, :, :]",
           lambda x, y: x[:, None] < y[None], "bool[10, 2, 5]"),
    "eq": ("x[:, None, :] == y[None, :, :]",
           lambda x, y: x[:, None] == y[None], "bool[10, 2, 5]"),
    "ne": ("x[:, None, :] != y[None, :, :]",
           lambda x, y: x[:, None] != y[None], "bool[10, 2, 5]"),
    "div": ("x[:, None, :] / y[None, :, :]",
            lambda x, y: x[:, None] / y[None], "f32[10, 2, 5]"),
    "floordiv": ("x[:, None, :] // y[None, :, :]",
                 lambda x, y: np.floor_divide(x[:, None], y[None]),
                 "f32[10, 2, 5]"),
    "mod": ("x[:, None, :] % y[None, :, :]",
            lambda x, y: np.mod(x[:, None], y[None]), "f32[10, 2, 5]"),
    "pow": ("x[:, None, :] ** y[None, :, :]",
            lambda x, y: x[:, None] ** y[None], "f32[10, 2, 5]"),
}

# Reductions over an axis without elements: NumPy's identities, NaN for
# the mean and variance, False for any and True for all.
EMPTY = {
    "sum": ("sum(e, axis=1)", lambda e: np.sum(e, 1), "f32[3]"),
    "prod": ("prod(e, axis=1)", lambda e: np.prod(e, 1), "f32[3]"),
    "mean": ("mean(e, axis=1)", lambda e: np.mean(e, 1), "f32[3]"),
    "var": ("var(e, axis=1)", lambda e: np.var(e, 1), "f32[3]"),
    "any": ("any(e > 0.0, axis=1)", lambda e: np.any(e > 0, 1), "bool[3]"),
    "all": ("all(e > 0.0, axis=1)", lambda e: np.all(e > 0, 1), "bool[3]"),
    "softmax": ("softmax(e, axis=1)", lambda e: e, "f32[3, 0]"),
    "cumsum": ("cumsum(e, axis=1)", lambda e: e, "f32[3, 0]"),
    # -inf, as scipy.special.logsumexp, jax.nn.logsumexp and PyTorch give.
    "logsumexp": ("logsumexp(e, axis=1)",
                  lambda e: np.log(np.sum(np.exp(e), 1)), "f32[3]"),
    "logsumexp_all": ("logsumexp(e)", lambda e: np.log(np.sum(np.exp(e))),
                      "f32"),
}
# max, min, argmax and argmin have no identity: NumPy raises, Spore refuses
# at compile time (the shape is static).
NO_IDENTITY = ["max(e, axis=1)", "min(e)", "argmax(e, axis=1)",
               "argmin(e, axis=1)"]


def same(got, want):
    """Equal up to float32 rounding; NaN equals NaN; zeros keep their sign."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return np.zeros(want.shape, bool)
    if want.dtype.kind != "f":
        return got == want
    g, w = got.astype(np.float64), want.astype(np.float64)
    both_nan = np.isnan(g) & np.isnan(w)
    zeros = (g == 0) & (w == 0)
    close = (g == w) | (np.abs(g - w) <= 2e-6 * np.abs(w))
    return both_nan | np.where(zeros, np.signbit(g) == np.signbit(w), close)


def check_table(sporec, spore_run, workdir, name, table, args, inputs):
    """Compiles one export returning every row of `table`, calls it and
    runs it eagerly, and compares each result with NumPy. Returns the
    number of failed rows."""
    import ctypes
    signature = ", ".join("%s: f32[%s]" % (a, ", ".join(map(str, v.shape)))
                          for a, v in zip(args, inputs))
    results = ", ".join(t for _, _, t in table.values())
    exprs = ", ".join(e for e, _, _ in table.values())
    source = ("@export\ndef %s(%s) -> tuple[%s]:\n    return %s\n"
              % (name, signature, results, exprs))
    library, src = compile_shared(sporec, source, workdir, name)
    fn = getattr(library, "%s_%s" % (name, name))
    fn.restype = ctypes.c_int
    with np.errstate(all="ignore"):
        wants = [np.asarray(ref(*inputs)) for _, ref, _ in table.values()]
    wants = [w.astype(np.float32) if w.dtype == np.float64 else w
             for w in wants]
    outs = [np.zeros(w.shape, w.dtype) for w in wants]
    rc = fn(*[a.ctypes.data_as(ctypes.c_void_p)
              for a in list(inputs) + outs])
    bindings = []
    for a, v in zip(args, inputs):
        path = os.path.join(workdir, "%s_%s.npy" % (name, a))
        np.save(path, v)
        bindings.append("%s=%s" % (a, path))
    out = os.path.join(workdir, name + "_eager")
    subprocess.run([spore_run, "--eager", src, name, "--input"] + bindings +
                   ["--out", out], check=True)
    eager = [np.load(os.path.join(out, "%s.%d.npy" % (name, i)))
             for i in range(len(wants))]
    failures = 0
    for (row, (expr, _, _)), got, ev, want in zip(table.items(), outs, eager,
                                                  wants):
        ok_c, ok_e = same(got, want), same(ev, want)
        ok = rc == 0 and ok_c.all() and ok_e.all()
        line = "%s %s %s" % ("PASS" if ok else "FAIL", name, expr)
        if not ok:
            line += ": compiled %s, eager %s, NumPy %s" % (
                got.tolist(), ev.tolist(), want.tolist())
        print(line)
        failures += not ok
    return failures


def check_refused(sporec, workdir):
    """A reduction without identity over an empty axis is a located
    compile-time error. Returns the number of failures."""
    failures = 0
    for k, expr in enumerate(NO_IDENTITY):
        path = os.path.join(workdir, "refused%d.py" % k)
        with open(path, "w") as f:
            f.write("@export\ndef f(e: f32[3, 0]) -> f32:\n"
                    "    return sum(%s)\n" % expr)
        r = subprocess.run([sporec, path, "-o", path + ".o"],
                           capture_output=True, text=True)
        ok = (r.returncode != 0 and "%s:3:" % path in r.stderr and
              "over an axis of size 0 has no identity" in r.stderr and
              not os.path.exists(path + ".o"))
        print("%s refused %s%s" % ("PASS" if ok else "FAIL", expr,
                                   "" if ok else ": " + r.stderr))
        failures += not ok
    return failures


def main():
    sporec, spore_run, workdir = sys.argv[1:4]
    os.makedirs(workdir, exist_ok=True)
    failures = check_table(sporec, spore_run, workdir, "special", TABLE,
                           ["x", "y"], [X, Y])
    failures += check_table(sporec, spore_run, workdir, "empty",
                            EMPTY,
                            ["e"], [np.zeros((3, 0), np.float32)])
    failures += check_refused(sporec, workdir)
    print("%d failed" % failures)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
