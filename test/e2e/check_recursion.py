#!/usr/bin/env python3
"""Differentiation through recursion whose depth is known only at run time
(docs/differentiation.md): a determinant by minors, a power, a mutual
recursion and recursion around and inside loops, in reverse mode, forward
mode, forward over reverse and reverse over reverse. Each derivative is
checked against NumPy's closed forms or float64 central differences of
the compiled value, forward mode against reverse mode, and every export
against the interpreter (`spore-run --eager`).

A recursion too deep for the native stack is an error, never a crash:
under a 1 MiB stack (`ulimit -s 1024`) the compiled value and gradient
return SPORE_ERROR_MEMORY with "FILE:LINE:COL: recursion too deep: ..."
and write no result, and `spore-run --eager` stops with the same message.

Usage: check_recursion.py SPOREC SPORE_RUN RUNTIME_LIB WORKDIR
"""
import ctypes
import os
import resource
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import compile_shared  # noqa: E402

SPORE_ERROR_MEMORY = 4
SOURCE = '''from spore import *


def minor_det(a, used, row, n):
    # The determinant of rows row..n-1 of a and the columns not used yet.
    if row == n:
        return a[0, 0] * 0.0 + 1.0
    total = a[0, 0] * 0.0
    sign = 1.0
    for j in range(n):
        if used[j] == 0:
            used[j] = 1
            total = total + sign * a[row, j] * minor_det(a, used, row + 1, n)
            used[j] = 0
            sign = -sign
    return total


def det(a, n):
    # The row is a run-time value (n - n), so the recursion is not unrolled.
    return minor_det(a, zeros(4, dtype=i64), n - n, n)


def power(x, n):
    if n == 0:
        return x * 0.0 + 1.0
    return x * power(x, n - 1)


def ping(x, n):
    if n <= 0:
        return x
    return sin(pong(x * 1.1, n - 1)) + 0.25 * x


def pong(x, n):
    if n <= 0:
        return x * x
    return tanh(ping(x, n - 1) * 0.9) - 0.5


def looped(x, n):
    # A loop inside the recursion, whose trip count is the depth.
    if n == 0:
        return x
    y = x
    for i in range(n):
        y = tanh(y * 0.9 + 0.1 * i)
    return looped(y, n - 1) * 0.5 + y


def mixed(x, n):
    # Recursion inside a loop, and a result with an integer part.
    total = 0.0
    count = 0
    for k in range(n):
        total = total + sum(power(x, k)) * 0.5
        count += 1
    return total, count


@export
def d(a: f64[4, 4], n: i64) -> f64:
    return det(a, n)


@export
def gd(a: f64[4, 4], n: i64) -> f64[4, 4]:
    return grad(det)(a, n)


@export
def jd(a: f64[4, 4], t: f64[4, 4], n: i64) -> tuple[f64, f64]:
    return jvp(lambda m: det(m, n), (a,), (t,))


@export
def gd32(a: f32[4, 4], n: i64) -> f32[4, 4]:
    return grad(det)(a, n)


@export
def values(x: f64[3], n: i64) -> tuple[f64, f64, f64, f64]:
    return (sum(power(x, n)), sum(ping(x, n)), sum(looped(x, n)),
            mixed(x, n)[0])


@export
def grads(x: f64[3], n: i64) -> tuple[f64[3], f64[3], f64[3], f64[3]]:
    return (grad(lambda v: sum(power(v, n)))(x),
            grad(lambda v: sum(ping(v, n)))(x),
            grad(lambda v: sum(looped(v, n)))(x),
            grad(lambda v: mixed(v, n)[0])(x))


@export
def tangents(x: f64[3], t: f64[3], n: i64) -> tuple[f64, f64, f64, f64]:
    return (jvp(lambda v: sum(power(v, n)), (x,), (t,))[1],
            jvp(lambda v: sum(ping(v, n)), (x,), (t,))[1],
            jvp(lambda v: sum(looped(v, n)), (x,), (t,))[1],
            jvp(lambda v: mixed(v, n)[0], (x,), (t,))[1])


@export
def second(x: f64[3], n: i64) -> tuple[f64[3, 3], f64[3], f64[3, 3]]:
    inner = grad(lambda u: sum(power(u, n)))
    return (hessian(lambda v: sum(power(v, n)))(x),
            grad(lambda v: sum(inner(v)))(x),
            hessian(lambda v: sum(ping(v, n)))(x))


@export
def deep(x: f64[3], n: i64) -> f64:
    return sum(power(x, n))


@export
def deep_grad(x: f64[3], n: i64) -> f64[3]:
    return grad(lambda v: sum(power(v, n)))(x)
'''
# The position of the name in `def power`: the stack check of its functions.
WANT_DEEP = "recursion.py:24:5: recursion too deep: the native stack is used up"

P = ctypes.c_void_p
failures = 0


def check(name, ok, why=""):
    global failures
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + why))
    failures += not ok


def ptr(a):
    return a.ctypes.data_as(P)


def call(lib, name, inputs, outputs):
    """Calls export `name`; returns its status and the output arrays."""
    outs = [np.full(shape, -7.25, dtype) for shape, dtype in outputs]
    rc = getattr(lib, "recursion_" + name)(
        *[ptr(np.ascontiguousarray(a)) for a in inputs], *[ptr(o) for o in outs])
    return rc, outs


def rel(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1.0)))


def central(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def child(library):
    """Under a 1 MiB stack: deep recursion fails with a message."""
    lib = ctypes.CDLL(library)
    rt = ctypes.CDLL(sys.argv[3])
    rt.spore_last_error.restype = ctypes.c_char_p
    x = np.array([0.5, -0.9, 1.1])
    n = np.array(10 ** 6, np.int64)
    for name, shape in (("deep", ()), ("deep_grad", (3,))):
        rc, (out,) = call(lib, name, [x, n], [(shape, np.float64)])
        print("%s|%d|%s|%s" % (name, rc, rt.spore_last_error().decode(),
                               bool(np.all(out == -7.25))))
    rc, (out,) = call(lib, "deep", [x, np.array(50, np.int64)],
                      [((), np.float64)])
    print("after|%d|%.17g" % (rc, float(out)))


def one_mib():
    resource.setrlimit(resource.RLIMIT_STACK, (1 << 20, 1 << 20))


def main():
    sporec, spore_run, runtime, workdir = sys.argv[1:5]
    os.makedirs(workdir, exist_ok=True)
    lib, src = compile_shared(sporec, SOURCE, workdir, "recursion")
    rng = np.random.default_rng(7)

    # The determinant: value, gradient (det * inverse transposed), jvp.
    a = rng.standard_normal((4, 4))
    for n in range(0, 5):
        sub = a[:n, :n]
        want = np.linalg.det(sub) if n else 1.0
        want_grad = np.zeros((4, 4))
        if n:
            want_grad[:n, :n] = want * np.linalg.inv(sub).T
        t = rng.standard_normal((4, 4))
        nn = np.array(n, np.int64)
        rc1, (value,) = call(lib, "d", [a, nn], [((), np.float64)])
        rc2, (g,) = call(lib, "gd", [a, nn], [((4, 4), np.float64)])
        rc3, (y, dy) = call(lib, "jd", [a, t, nn],
                            [((), np.float64), ((), np.float64)])
        rc4, (g32,) = call(lib, "gd32", [a.astype(np.float32), nn],
                           [((4, 4), np.float32)])
        ok = (rc1 == rc2 == rc3 == rc4 == 0 and rel(value, want) < 1e-12 and
              rel(g, want_grad) < 1e-12 and rel(y, want) < 1e-12 and
              rel(dy, np.sum(want_grad * t)) < 1e-12 and
              rel(g32, want_grad) < 1e-4)
        check("det by minors, n=%d: value, grad, jvp, f32 grad" % n, ok,
              "rc %s, errors %.3g %.3g %.3g %.3g" % (
                  (rc1, rc2, rc3, rc4), rel(value, want), rel(g, want_grad),
                  rel(dy, np.sum(want_grad * t)), rel(g32, want_grad)))

    # Power, mutual recursion, loops: reverse against central differences,
    # forward against reverse.
    x = np.array([0.5, -0.9, 1.1])
    names = ("power", "ping/pong", "loop inside", "inside a loop")
    for n in (0, 1, 2, 5):
        nn = np.array(n, np.int64)
        t = rng.standard_normal(3)
        rc, grads = call(lib, "grads", [x, nn], [((3,), np.float64)] * 4)
        rc2, tans = call(lib, "tangents", [x, t, nn], [((), np.float64)] * 4)
        for k, name in enumerate(names):
            def value(v, k=k):
                r, outs = call(lib, "values", [v, nn], [((), np.float64)] * 4)
                assert r == 0
                return float(outs[k])
            fd = central(value, x)
            ok = (rc == rc2 == 0 and rel(grads[k], fd) < 1e-7 and
                  rel(tans[k], np.dot(grads[k], t)) < 1e-12)
            check("%s, n=%d: grad vs central differences, jvp vs grad" % (
                name, n), ok, "grad %s, fd %s, jvp %s" % (
                    grads[k], fd, tans[k]))
        # Second order: the Hessian of sum(x**n) is diagonal n(n-1)x**(n-2).
        rc, (h, gg, hp) = call(lib, "second", [x, nn],
                               [((3, 3), np.float64), ((3,), np.float64),
                                ((3, 3), np.float64)])
        want_h = np.diag(n * (n - 1) * x ** max(n - 2, 0)) if n > 1 else \
            np.zeros((3, 3))

        def ping_grad(v):
            r, outs = call(lib, "grads", [v, nn], [((3,), np.float64)] * 4)
            return outs[1]
        fd_h = np.stack([central(lambda v, i=i: ping_grad(v)[i], x)
                         for i in range(3)])
        ok = (rc == 0 and rel(h, want_h) < 1e-12 and
              rel(gg, want_h.sum(axis=0)) < 1e-12 and rel(hp, fd_h) < 1e-6)
        check("n=%d: hessian (forward over reverse), grad of grad (reverse "
              "over reverse)" % n, ok, "%s %s %s" % (h, gg, hp - fd_h))

    # The interpreter agrees on every export.
    inputs = {"a": a, "t": rng.standard_normal((4, 4)), "x": x, "n":
              np.array(3, np.int64)}
    exports = {"d": "a n", "gd": "a n", "jd": "a t n", "values": "x n",
               "grads": "x n", "tangents": "x t n", "second": "x n"}
    cache = os.path.join(workdir, "cache")
    for name, params in exports.items():
        args = []
        for p in params.split():
            value = inputs[p] if not (p == "t" and name == "tangents") else \
                inputs["x"] * 0.5
            path = os.path.join(workdir, "%s_%s.npy" % (name, p))
            np.save(path, value)
            args += ["--input", "%s=%s" % (p, path)]
        results = {}
        for mode in ("compiled", "eager"):
            out = os.path.join(workdir, "%s_%s" % (name, mode))
            cmd = [spore_run, src, name, "--cache-dir", cache, "--out",
                   out] + args
            if mode == "eager":
                cmd.insert(1, "--eager")
            proc = subprocess.run(cmd, capture_output=True, text=True)
            results[mode] = None if proc.returncode else [
                np.load(os.path.join(out, f)) for f in sorted(os.listdir(out))]
        ok = (results["compiled"] is not None and results["eager"] is not None
              and all(rel(c, e) < 1e-12 for c, e in
                      zip(results["compiled"], results["eager"])))
        check("%s: compiled and --eager agree" % name, ok)

    # Too deep for a 1 MiB stack: an error code and a message, no result.
    proc = subprocess.run([sys.executable, os.path.abspath(__file__),
                           "--child", os.path.join(workdir,
                                                   "librecursion.so"),
                           runtime], capture_output=True, text=True,
                          preexec_fn=one_mib)
    if proc.returncode != 0:
        check("deep recursion under a 1 MiB stack", False,
              "the process died (%d): %s" % (proc.returncode,
                                             proc.stderr[-400:]))
    else:
        lines = proc.stdout.strip().split("\n")
        for line in lines[:2]:
            name, rc, message, untouched = line.split("|")
            check("%s at depth 10^6 under a 1 MiB stack" % name,
                  int(rc) == SPORE_ERROR_MEMORY and
                  message.startswith(WANT_DEEP) and untouched == "True", line)
        rc, value = lines[2].split("|")[1:]
        check("the library works after it", int(rc) == 0 and
              abs(float(value) - np.sum(x ** 50)) <= 1e-12 * np.sum(x ** 50),
              lines[2])
    out = os.path.join(workdir, "deep_eager")
    os.makedirs(out, exist_ok=True)
    np.save(os.path.join(workdir, "deep_n.npy"), np.array(10 ** 6, np.int64))
    proc = subprocess.run(
        [spore_run, "--eager", src, "deep", "--input",
         "x=" + os.path.join(workdir, "values_x.npy"), "--input",
         "n=" + os.path.join(workdir, "deep_n.npy"), "--out", out],
        capture_output=True, text=True, preexec_fn=one_mib)
    check("--eager at depth 10^6 under a 1 MiB stack",
          proc.returncode == 1 and WANT_DEEP in proc.stderr and
          not os.listdir(out), "rc %d: %s" % (proc.returncode,
                                              proc.stderr[-300:]))
    print("%d failed" % failures)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
