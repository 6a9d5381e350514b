#!/usr/bin/env python3
"""Functions as values, end to end: nested functions and lambdas, closures
(capture by value), higher-order functions, functions returned from
functions, tuples of functions, run-time and compile-time recursion. Each
model is compiled by sporec and compared with the same source run by
CPython on NumPy values, on several inputs.

Usage: check_functions.py SPOREC WORKDIR
"""
import ctypes
import os
import sys
import textwrap

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import close, compile_shared, oracle  # noqa: E402

SPOREC, WORKDIR = sys.argv[1], sys.argv[2]
os.makedirs(WORKDIR, exist_ok=True)

SOURCE = textwrap.dedent('''
    TREE = ((), ((), ((), ())), ())


    def compose(f, g):
        return lambda x: f(g(x))


    def scan(f, init, xs):
        carry = init
        for i in range(len(xs)):
            carry = f(carry, xs.sum() * i)
        return carry


    def twice(f):
        def g(x):
            return f(f(x))
        return g


    def power(x, n):
        if n == 0:
            return x * 0.0 + 1.0
        return x * power(x, n - 1)


    def unrolled_power(x, n: int):
        if n == 0:
            return 1.0
        return x * unrolled_power(x, n - 1)


    def fib(n):
        if n < 2:
            return n
        return fib(n - 1) + fib(n - 2)


    def depth(tree):
        d = 0
        for child in tree:
            c = depth(child)
            d = c if c > d else d
        return d + 1


    @export
    def closures(x: f32[3], w: f32[3]) -> tuple[f32[3], f32[3], f32[3]]:
        scale = 2.0
        def affine(v):
            return v * w + scale
        h = compose(affine, lambda v: tanh(v))
        ops = (lambda v: v + 1.0, lambda v: v * 3.0, relu)
        y = ops[2](ops[1](ops[0](x)) - 4.0)
        return h(x), twice(twice(affine))(x), y


    @export
    def capture_by_value(x: f32[3]) -> f32[3]:
        k = 2.0
        f = lambda v: v * k
        k = 100.0                # f captured k = 2.0 (Python would see 100)
        return f(x) + k


    def h1(a):
        return a + 1.0


    def h2(a):
        return a * 2.0


    @export
    def chosen_at_run_time(x: f32[3], w: f32[3], c: f32) -> tuple[f32[3], f32[3], f32[3]]:
        if c > 0.0:
            g = h1
        else:
            g = lambda v: v * w
        k = h2 if c > 1.0 else g
        p = tanh if c > 0.5 else relu     # primitives are chosen like functions
        return g(x), compose(k, g)(x), p(x)


    @export
    def higher_order(x: f32[3], w: f32[3]) -> f32[3]:
        return scan(lambda c, s: c + s * w, x, x)


    @export
    def recursion(x: f32[3], n: i64) -> tuple[f32[3], f32[3], i64, f32[3]]:
        return power(x, n), unrolled_power(x, 3), fib(n), x * depth(TREE)
''')

library, src = compile_shared(SPOREC, SOURCE, WORKDIR, "functions")
ref = oracle(SOURCE, src)
rng = np.random.default_rng(3)

# export: (inputs generator, output (shape, dtype) list)
CASES = {
    "closures": (lambda: [rng.standard_normal(3).astype(np.float32),
                          rng.standard_normal(3).astype(np.float32)],
                 [((3,), np.float32)] * 3),
    "chosen_at_run_time": (lambda: [rng.standard_normal(3).astype(np.float32),
                                    rng.standard_normal(3).astype(np.float32),
                                    np.array(rng.uniform(-1, 2), np.float32)],
                           [((3,), np.float32)] * 3),
    "higher_order": (lambda: [rng.standard_normal(3).astype(np.float32),
                              rng.standard_normal(3).astype(np.float32)],
                     [((3,), np.float32)]),
    "recursion": (lambda: [rng.standard_normal(3).astype(np.float32),
                           np.array(rng.integers(0, 9), np.int64)],
                  [((3,), np.float32), ((3,), np.float32), ((), np.int64),
                   ((3,), np.float32)]),
}
failures = 0

# Capture by value is where the language departs from Python's late
# binding: checked against values worked out by hand.
x = np.array([1.0, -2.0, 0.5], np.float32)
out = np.zeros(3, np.float32)
library.functions_capture_by_value(x.ctypes.data_as(ctypes.c_void_p),
                                   out.ctypes.data_as(ctypes.c_void_p))
ok = np.allclose(out, x * 2.0 + 100.0, rtol=1e-6)
print(("PASS" if ok else "FAIL") + " capture_by_value" +
      ("" if ok else ": %s" % out))
failures += not ok

for name, (make_inputs, outs) in CASES.items():
    fn = getattr(library, "functions_" + name)
    fn.restype = ctypes.c_int
    bad = None
    for _ in range(6):
        inputs = make_inputs()
        got = [np.zeros(s, d) for s, d in outs]
        rc = fn(*[a.ctypes.data_as(ctypes.c_void_p) for a in inputs + got])
        want = ref[name](*[a.copy() if a.ndim else a[()] for a in inputs])
        want = want if isinstance(want, tuple) else (want,)
        for i, (g, w) in enumerate(zip(got, want)):
            ok, why = close(g, np.asarray(w, np.float64)
                            if g.dtype.kind == "f" else np.asarray(w))
            if rc != 0 or not ok:
                bad = "result %d on %s: %s" % (i, inputs, why or "rc %d" % rc)
        if bad:
            break
    print(("PASS " if not bad else "FAIL ") + name + ("" if not bad else ": " + bad))
    failures += bool(bad)
print("%d failed" % failures)
sys.exit(1 if failures else 0)
