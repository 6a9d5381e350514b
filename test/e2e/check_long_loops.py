#!/usr/bin/env python3
"""Loops with run-time trip counts up to 10^6, under a 1 MiB native stack.

Every compiled function must use a native stack bounded independently of
its trip counts (docs/guarantees.md). Each export below runs in a child
process whose stack limit is 1 MiB (`ulimit -s 1024`), in forward mode,
reverse mode, forward-over-reverse, and as a forward loop whose body takes
a gradient (a training loop inside one export). A stack that grew with
the iterations overflowed after about 10^4 of them.

References are independent of the compiler: the recurrence is a
contraction, so after a few hundred iterations its state is at the fixed
point to double precision, and the value at n = 10^6 equals a NumPy run of
2,000 iterations, whose derivatives are written out by hand. The training loop is checked against NumPy iteration by iteration.

Usage: check_long_loops.py SPOREC WORKDIR
"""
import ctypes
import os
import resource
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import close, compile_shared  # noqa: E402

SOURCE = """
def loop(x, n):
    st = zeros((2, 7), dtype=f64)
    for t in range(n):
        st[0] = tanh(st[1] * x)
        st[1] = st[0] + 1.0
    return sum(st)

def loop_while(x, n):
    st = zeros((2, 7), dtype=f64)
    t = 0
    while t < n:
        st[0] = tanh(st[1] * x)
        st[1] = st[0] + 1.0
        t = t + 1
    return sum(st)

@export
def value(x: f64[7], n: i64) -> f64:
    return loop(x, n)

@export
def gradient(x: f64[7], n: i64) -> f64[7]:
    return grad(loop)(x, n)

@export
def gradient_while(x: f64[7], n: i64) -> f64[7]:
    return grad(loop_while)(x, n)

@export
def hvp(x: f64[7], v: f64[7], n: i64) -> f64[7]:
    y, t = jvp(lambda x: grad(loop)(x, n), (x,), (v,))
    return t

def inner(w, x):
    return sum(tanh(w @ x))

@export
def train(x: f64[16], w: f64[16, 16], n: i64) -> f64[16, 16]:
    for i in range(n):
        w = w - 0.01 * grad(inner)(w, x)
    return w
"""

STACK = 1 << 20
N = 10 ** 6


def reference_loop(x, n=2000):
    """Value, gradient and Hessian diagonal of `loop` (every element is its
    own scalar recurrence, so the Hessian is diagonal), by second-order
    forward differentiation written out by hand in float64."""
    s, ds, d2s = np.zeros(7), np.zeros(7), np.zeros(7)
    for _ in range(n):
        u, du, d2u = s * x, ds * x + s, d2s * x + 2 * ds
        a = np.tanh(u)
        da = (1 - a * a) * du
        d2a = (1 - a * a) * d2u - 2 * a * (1 - a * a) * du * du
        s, ds, d2s = a + 1, da, d2a
    # sum(st) = sum(a + (a + 1)) after the last iteration.
    return float(np.sum(2 * a + 1)), 2 * da, 2 * d2a


def reference_train(x, w, n):
    for _ in range(n):
        w = w - 0.01 * np.outer(1 - np.tanh(w @ x) ** 2, x)
    return w


def child(library, name, n):
    """Runs one export on fixed inputs; prints its return code and result."""
    lib = ctypes.CDLL(library)
    P = ctypes.c_void_p
    x = np.linspace(0.1, 0.7, 7)
    count = np.array(n, np.int64)
    if name == "train":
        rng = np.random.default_rng(0)
        args = [rng.normal(size=16) * 0.3, rng.normal(size=(16, 16)) * 0.3,
                count]
        out = np.zeros((16, 16))
    elif name == "hvp":
        args = [x, np.linspace(-1.0, 1.0, 7), count]
        out = np.zeros(7)
    else:
        args = [x, count]
        out = np.zeros(() if name == "value" else 7)
    fn = getattr(lib, "long_" + name)
    fn.restype = ctypes.c_int
    rc = fn(*[a.ctypes.data_as(P) for a in args + [out]])
    np.save(sys.stdout.buffer, np.array(rc))
    np.save(sys.stdout.buffer, out)


def run_limited(library, name, n):
    def limit():
        resource.setrlimit(resource.RLIMIT_STACK, (STACK, STACK))

    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", library, name,
         str(n)], capture_output=True, preexec_fn=limit)
    if proc.returncode < 0:
        return None, "killed by signal %d%s" % (
            -proc.returncode, " (SIGSEGV: stack overflow?)"
            if proc.returncode == -11 else "")
    if proc.returncode != 0:
        return None, "child exited with %d: %s" % (
            proc.returncode, proc.stderr.decode()[-400:])
    import io
    buf = io.BytesIO(proc.stdout)
    rc = int(np.load(buf))
    return (rc, np.load(buf)), ""


def main():
    sporec, workdir = sys.argv[1], sys.argv[2]
    os.makedirs(workdir, exist_ok=True)
    compile_shared(sporec, SOURCE, workdir, "long")
    library = os.path.join(workdir, "liblong.so")

    x = np.linspace(0.1, 0.7, 7)
    v = np.linspace(-1.0, 1.0, 7)
    value, gradient, hessian = reference_loop(x)
    rng = np.random.default_rng(0)
    x16, w16 = rng.normal(size=16) * 0.3, rng.normal(size=(16, 16)) * 0.3
    cases = [
        ("value", N, value, 1e-12),
        ("gradient", N, gradient, 1e-12),
        # Reverse mode through scf.while is O(n^2) for now (bufferisation
        # copies its growing value stack at every iteration), so it runs
        # fewer iterations; 20,000 overflowed the old stack too.
        ("gradient_while", 20000, gradient, 1e-12),
        ("hvp", N, hessian * v, 1e-12),
        ("train", 20000, reference_train(x16, w16, 20000), 1e-9),
    ]
    failures = 0
    for name, n, want, tol in cases:
        got, why = run_limited(library, name, n)
        if got is not None:
            rc, out = got
            err = float(np.max(np.abs(out - want) / np.maximum(np.abs(want),
                                                               1.0)))
            ok = rc == 0 and err <= tol
            why = "rc %d, max relative error %.3g (tolerance %g)" % (rc, err,
                                                                     tol)
        else:
            ok = False
        print("%s %s n=%d under a %d KiB stack: %s" % (
            "PASS" if ok else "FAIL", name, n, STACK >> 10, why))
        failures += not ok
    print("%d passed, %d failed" % (len(cases) - failures, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
