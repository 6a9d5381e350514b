#!/usr/bin/env python3
"""Weak typing of literals (language.md §2, JAX's rules): a value computed
from literals only, through primitives, arithmetic, tuples and functions,
takes the dtype of the typed value it meets, and a variable first bound to
one takes the dtype that later assignments in loops and branches give it.

Each program exists in f64 and in f32 (the same source with the dtype
substituted). Each must compile, and its results must match the same
source run by CPython on NumPy float64 values (the language is a subset of
Python): to 1e-12 in f64, which fails if a literal was computed in f32
anywhere, and to 1e-5 in f32.

Usage: check_literals.py SPOREC WORKDIR
"""
import ctypes
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import close, compile_shared, oracle  # noqa: E402

# name: (source with DT for the dtype, argument shapes, result shape);
# `n` arguments are i64 trip counts.
PROGRAMS = {
    "loop_total": ("""
def loop_total(ys: DT[3, 4], logits: DT[4]) -> DT:
    total = 0.0
    for t in range(3):
        total = total - sum(ys[t] * log_softmax(logits))
    return total
""", [(3, 4), (4,)], ()),
    "primitive_of_literal": ("""
def primitive_of_literal(x: DT[4]) -> DT[4]:
    y = x + sin(0.5)
    return tanh(x) * sigmoid(-1.0) + y * exp(0.25) / sqrt(2.0)
""", [(4,)], (4,)),
    "compare_with_literals": ("""
def compare_with_literals(x: DT[4]) -> DT:
    return where(mean(x) > 0.1 + cos(0.1) - 1.0, 1.0, -1.0) * sum(x)
""", [(4,)], ()),
    "index_plus_float": ("""
def index_plus_float(x: DT[4], n: i64) -> DT[4]:
    for i in range(n):
        x = x * 0.5 + (i + 1.0)
    return x
""", [(4,), "n"], (4,)),
    "weak_through_tuple": ("""
def weak_through_tuple(x: DT[4]) -> DT[4]:
    a, b = (0.5, tanh(0.25))
    return x * a + b
""", [(4,)], (4,)),
    "weak_through_function": ("""
def scale(a):
    return a * 2.0 + log(3.0)

def weak_through_function(x: DT[4]) -> DT[4]:
    return x * scale(1.5)
""", [(4,)], (4,)),
    "weak_through_branch": ("""
def weak_through_branch(x: DT[4]) -> DT:
    s = 0.0
    if mean(x) > 0.0:
        s = s + sum(x)
    else:
        s = s - 1.0
    return s * 2.0
""", [(4,)], ()),
    "weak_in_while": ("""
def weak_in_while(x: DT[4], n: i64) -> DT:
    acc = 1.0
    k = 0
    while k < n:
        acc = acc * 0.5 + mean(x * x)
        k = k + 1
    return acc
""", [(4,), "n"], ()),
}

NUMPY = {"sin": np.sin, "cos": np.cos, "sqrt": np.sqrt, "sum": np.sum,
         "mean": np.mean, "where": np.where}


def main():
    sporec, workdir = sys.argv[1], sys.argv[2]
    os.makedirs(workdir, exist_ok=True)
    failures = 0
    rng = np.random.default_rng(5)
    for dt, npdt in (("f64", np.float64), ("f32", np.float32)):
        source = ""
        for name, (text, _, _) in PROGRAMS.items():
            source += text.replace("DT", dt).replace(
                "\ndef %s(" % name, "\n@export\ndef %s(" % name)
        library, src = compile_shared(sporec, source, workdir, "lit_" + dt)
        ref = oracle(source, src)
        ref.update(NUMPY)
        for name, (_, shapes, result) in PROGRAMS.items():
            fn = getattr(library, "lit_%s_%s" % (dt, name))
            fn.restype = ctypes.c_int
            bad = None
            for trial in range(4):
                args = [np.array(3 + trial, np.int64) if s == "n" else
                        rng.standard_normal(s).astype(npdt) for s in shapes]
                out = np.zeros(result, npdt)
                rc = fn(*[a.ctypes.data_as(ctypes.c_void_p)
                          for a in args + [out]])
                want = ref[name](*[a.astype(np.float64) if a.dtype.kind == "f"
                                   else int(a) for a in args])
                ok, why = close(out, np.asarray(want, np.float64))
                if rc != 0 or not ok:
                    bad = "rc %d, %s" % (rc, why)
                    break
            print(("PASS " if bad is None else "FAIL ") + dt + " " + name +
                  ("" if bad is None else ": " + bad))
            failures += bad is not None
    total = 2 * len(PROGRAMS)
    print("%d passed, %d failed" % (total - failures, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
