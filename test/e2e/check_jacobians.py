#!/usr/bin/env python3
"""Jacobians through every batching rule (passes/ad/Batch.cpp): jacrev,
jacfwd and hessian of functions built from elementwise ops and
broadcasts, reductions, shapes (transpose, cumsum, softmax, concatenate,
flip, slices), indexing (gather, scatter_add, strided slices), every form
of matmul, conv2d and max_pool2d (with respect to the image: a rule; to
the filter: a loop over the lanes), loops, branches and a while loop, and
run-time recursion (a call: lanes), and a Hessian through the value
stacks of a loop with a run-time trip count (not batched: one pass per
element). Jacobians take `width` seeds per pass
(16 at most), so a 12- or 29-row Jacobian also takes a last pass that is
only partly used. Each is checked against float64 central differences of
the compiled value, and forward mode against reverse mode.

Usage: check_jacobians.py SPOREC WORKDIR
"""
import ctypes
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import compile_shared  # noqa: E402

SOURCE = '''from spore import *


def f_elem(x, s):
    return tanh(x) * s + exp(-x * x) - sin(x) / (1.0 + x * x)


def f_reduce(x, w):
    v = reshape(x, (2, 3))
    return concatenate((sum(v * w, axis=0), mean(v, axis=1), max(v, axis=1),
                        prod(v, axis=0), min(v * v, axis=1, keepdims=True)[:, 0]))


def f_shape(x, w):
    v = reshape(x, (2, 3))
    t = transpose(v) @ w
    c = cumsum(v, axis=1)
    p = softmax(v, axis=1) + log_softmax(v * 2.0, axis=0)
    b = broadcast_to(x[:3], (2, 3)) * v
    return concatenate((reshape(t, (9,)), reshape(c, (6,)), reshape(p, (6,)),
                        reshape(b, (6,)), flip(x, 0)[1:5:2]))


def f_index(x, w):
    g = gather(x, (arange(5) * 5) % 6) * 3.0
    s = scatter_add(zeros((6,), f64), (arange(5) * 2) % 6, g * g)
    y = x[1:4] * x[3:6]
    return concatenate((g, s, y, x[::-1] * w[0]))


def f_matmul(x, w):
    m = reshape(x, (2, 3))
    a = w @ x[:3]
    b = m @ w
    c = m @ transpose(m)
    d = x[:3] @ w
    return concatenate((a, reshape(b, (6,)), reshape(c, (4,)), d, reshape(x[:3] @ x[3:], (1,))))


def f_conv(x, w):
    img = reshape(x, (1, 3, 2, 1)) * w[0, 0, 0, 0]
    h = conv2d(reshape(x[:4] * 1.0, (1, 2, 2, 1)), w, padding=1)
    p = max_pool2d(tanh(h), 2, stride=1)
    return concatenate((reshape(p, (-1,)), reshape(img, (-1,))))


def step(h, x, k):
    if k % 2 == 0:
        return tanh(h * x + 0.5)
    return sin(h) * x


def f_loop(x, n):
    h = x * 0.5
    for k in range(n):
        h = step(h, x, k)
    t = 0.0
    while t < 2.0:
        h = h + cos(h) * x * 0.1
        t = t + 0.75
    return h


def f_stack(x, n):
    # A run-time trip count: the reverse pass keeps value stacks of n + 1
    # rows, which forward over reverse (hessian) differentiates again.
    y = x * 0.5
    s = x[0]
    for i in range(n + 1):
        y = tanh(y * 0.7 + x)
        s = tanh(s * 0.7 + (x / (1.5 + x * x))[-1])
    return y * s


def power(x, n):
    if n == 0:
        return x * 0.0 + 1.0
    return x * power(x, n - 1)


def f_rec(x, n):
    return power(x, n) + x


@export
def elem(x: f64[6], s: f64) -> tuple[f64[6], f64[6, 6], f64[6, 6]]:
    return f_elem(x, s), jacrev(f_elem)(x, s), jacfwd(f_elem)(x, s)


@export
def red(x: f64[6], w: f64[2, 3]) -> tuple[f64[12], f64[12, 6], f64[12, 6], f64[12, 2, 3]]:
    return (f_reduce(x, w), jacrev(f_reduce)(x, w), jacfwd(f_reduce)(x, w),
            jacfwd(f_reduce, argnums=1)(x, w))


@export
def shp(x: f64[6], w: f64[2, 3]) -> tuple[f64[29], f64[29, 6], f64[29, 6]]:
    return f_shape(x, w), jacrev(f_shape)(x, w), jacfwd(f_shape)(x, w)


@export
def idx(x: f64[6], w: f64[6]) -> tuple[f64[20], f64[20, 6], f64[20, 6]]:
    return f_index(x, w), jacrev(f_index)(x, w), jacfwd(f_index)(x, w)


@export
def mm(x: f64[6], w: f64[3, 3]) -> tuple[f64[17], f64[17, 6], f64[17, 6], f64[17, 3, 3]]:
    return (f_matmul(x, w), jacrev(f_matmul)(x, w), jacfwd(f_matmul)(x, w),
            jacrev(f_matmul, argnums=1)(x, w))


@export
def cv(x: f64[6], w: f64[2, 2, 1, 3]) -> tuple[f64[18], f64[18, 6], f64[18, 6], f64[18, 2, 2, 1, 3], f64[18, 2, 2, 1, 3]]:
    return (f_conv(x, w), jacrev(f_conv)(x, w), jacfwd(f_conv)(x, w),
            jacrev(f_conv, argnums=1)(x, w), jacfwd(f_conv, argnums=1)(x, w))


@export
def lp(x: f64[6], n: i64) -> tuple[f64[6], f64[6, 6], f64[6, 6], f64[6, 6]]:
    return (f_loop(x, n), jacrev(f_loop)(x, n), jacfwd(f_loop)(x, n),
            hessian(lambda v: sum(f_loop(v, n)))(x))


@export
def stk(x: f64[6], n: i64) -> tuple[f64[6], f64[6, 6], f64[6, 6], f64[6, 6]]:
    return (f_stack(x, n), jacrev(f_stack)(x, n), jacfwd(f_stack)(x, n),
            hessian(lambda v: sum(f_stack(v, n)))(x))


@export
def rec(x: f64[6], n: i64) -> tuple[f64[6], f64[6, 6], f64[6, 6], f64[6, 6]]:
    return (f_rec(x, n), jacrev(f_rec)(x, n), jacfwd(f_rec)(x, n),
            hessian(lambda v: sum(f_rec(v, n)))(x))
'''

# export: argument shapes (None: the i64 trip count), the value's shape,
# then the argument each Jacobian result is with respect to (result 1, 2,
# ...); lp and rec also return the Hessian of sum(f) in x last.
CASES = {
    "elem": ([(6,), ()], (6,), [0, 0]),
    "red": ([(6,), (2, 3)], (12,), [0, 0, 1]),
    "shp": ([(6,), (2, 3)], (29,), [0, 0]),
    "idx": ([(6,), (6,)], (20,), [0, 0]),
    "mm": ([(6,), (3, 3)], (17,), [0, 0, 1]),
    "cv": ([(6,), (2, 2, 1, 3)], (18,), [0, 0, 1, 1]),
    "lp": ([(6,), None], (6,), [0, 0]),
    "stk": ([(6,), None], (6,), [0, 0]),
    "rec": ([(6,), None], (6,), [0, 0]),
}
SECOND = {"lp", "stk", "rec"}
H = 1e-6


def main():
    sporec, workdir = sys.argv[1:3]
    os.makedirs(workdir, exist_ok=True)
    lib, _ = compile_shared(sporec, SOURCE, workdir, "jacobians")
    rng = np.random.default_rng(7)
    P = ctypes.c_void_p
    failures = 0

    def run(name, args, out_shapes):
        outs = [np.zeros(s, np.float64) for s in out_shapes]
        rc = getattr(lib, "jacobians_" + name)(
            *[a.ctypes.data_as(P) for a in args],
            *[o.ctypes.data_as(P) for o in outs])
        if rc != 0:
            sys.exit("FAIL: %s returned %d" % (name, rc))
        return outs

    def check(what, got, want, tol):
        nonlocal failures
        err = float(np.max(np.abs(got - want)) /
                    max(1.0, float(np.max(np.abs(want)))))
        ok = err <= tol
        failures += not ok
        print("%s %s: relative error %.2e" % ("PASS" if ok else "FAIL",
                                               what, err))

    for name, (shapes, value_shape, wrts) in CASES.items():
        out_shapes = [value_shape] + [value_shape + shapes[k] for k in wrts]
        if name in SECOND:
            out_shapes.append((6, 6))
        trips = [0, 1, 3] if None in shapes else [None]
        for n in trips:
            args = [np.array(n, np.int64) if s is None else
                    rng.uniform(-1, 1, s) for s in shapes]
            label = name if n is None else "%s (n=%d)" % (name, n)
            outs = run(name, args, out_shapes)

            def value(k, delta):
                moved = list(args)
                moved[k] = args[k] + delta
                return run(name, moved, out_shapes)[0]

            for r, k in enumerate(wrts, start=1):
                size = args[k].size
                fd = np.zeros(value_shape + (size,))
                for i in range(size):
                    e = np.zeros(size)
                    e[i] = H
                    e = e.reshape(args[k].shape)
                    fd[..., i] = (value(k, e) - value(k, -e)) / (2 * H)
                check("%s: Jacobian %d (argument %d) vs central differences"
                      % (label, r, k), outs[r].reshape(fd.shape), fd, 1e-6)
            # Forward and reverse mode agree to rounding.
            check("%s: jacfwd vs jacrev" % label, outs[2], outs[1], 1e-12)
            if name in SECOND:
                fd = np.zeros((6, 6))
                for i in range(6):
                    e = np.zeros(6)
                    e[i] = H
                    hi = run(name, [args[0] + e, args[1]], out_shapes)[1]
                    lo = run(name, [args[0] - e, args[1]], out_shapes)[1]
                    fd[:, i] = (hi.sum(axis=0) - lo.sum(axis=0)) / (2 * H)
                check("%s: Hessian vs central differences of the gradient"
                      % label, outs[-1], fd, 1e-6)
    return failures


if __name__ == "__main__":
    sys.exit(1 if main() else 0)
