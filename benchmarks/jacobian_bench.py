#!/usr/bin/env python3
"""Jacobian benchmark: jacrev and jacfwd of a 3-layer tanh MLP
(128-256-256-64, f32; the Jacobian is 64x128), next to the forward pass,
to the closed form in NumPy (J = D3 W3 D2 W2 D1 W1, the least work: two
matrix products) and, when Debian's python3-torch is installed, to
torch.autograd.functional.jacobian with vectorize=True (reverse and
forward strategy). Spore's Jacobians are checked against the closed form
in float64 first.

Usage: jacobian_bench.py SPOREC [--iterations N] [--workdir DIR]
"""
import argparse
import ctypes
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

SOURCE = """
from spore import *


def f(x, w1, w2, w3):
    h = tanh(w1 @ x)
    h = tanh(w2 @ h)
    return tanh(w3 @ h)


@export
def forward(x: f32[128], w1: f32[256, 128], w2: f32[256, 256],
            w3: f32[64, 256]) -> f32[64]:
    return f(x, w1, w2, w3)


@export
def reverse(x: f32[128], w1: f32[256, 128], w2: f32[256, 256],
            w3: f32[64, 256]) -> f32[64, 128]:
    return jacrev(f)(x, w1, w2, w3)


@export
def forward_mode(x: f32[128], w1: f32[256, 128], w2: f32[256, 256],
                 w3: f32[64, 256]) -> f32[64, 128]:
    return jacfwd(f)(x, w1, w2, w3)
"""


def timed(fn, iterations):
    fn()
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def closed_form(x, w1, w2, w3):
    h1 = np.tanh(w1 @ x)
    h2 = np.tanh(w2 @ h1)
    y = np.tanh(w3 @ h2)
    return ((1 - y * y)[:, None] * w3) @ ((1 - h2 * h2)[:, None] * w2) @ (
        (1 - h1 * h1)[:, None] * w1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sporec")
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    workdir = args.workdir or tempfile.mkdtemp(prefix="spore-jacobian-")
    os.makedirs(workdir, exist_ok=True)
    src = os.path.join(workdir, "jac.py")
    lib_path = os.path.join(workdir, "libjac.so")
    with open(src, "w") as f:
        f.write(SOURCE)
    subprocess.run([args.sporec, src, "--shared", "-o", lib_path], check=True)
    lib = ctypes.CDLL(lib_path)

    rng = np.random.default_rng(0)
    x = rng.standard_normal(128).astype(np.float32)
    ws = [(rng.standard_normal(s) / np.sqrt(s[1])).astype(np.float32)
          for s in [(256, 128), (256, 256), (64, 256)]]
    P = ctypes.c_void_p
    outs = {"forward": np.zeros(64, np.float32),
            "reverse": np.zeros((64, 128), np.float32),
            "forward_mode": np.zeros((64, 128), np.float32)}

    def spore(name):
        fn = getattr(lib, "jac_" + name)
        ptrs = [a.ctypes.data_as(P) for a in [x, *ws, outs[name]]]
        return lambda: fn(*ptrs)

    want = closed_form(x.astype(np.float64), *[w.astype(np.float64)
                                               for w in ws])
    for name in ["reverse", "forward_mode"]:
        if spore(name)() != 0:
            sys.exit("FAIL: %s returned an error" % name)
        err = np.max(np.abs(outs[name] - want)) / np.max(np.abs(want))
        if not err < 1e-4:
            sys.exit("FAIL: %s differs from the closed form by %.2e" %
                     (name, err))

    np.ones((2, 2)) @ np.ones((2, 2))
    with open("/proc/self/maps") as maps:
        blas = sorted({line.split()[-1] for line in maps
                       if "blas" in line.lower() and "/" in line})
    print("Spore: one thread; NumPy %s on %s; %d iterations, medians" % (
        np.__version__, ", ".join(blas) or "an unknown BLAS", args.iterations))
    rows = [("spore forward", timed(spore("forward"), args.iterations)),
            ("spore jacrev", timed(spore("reverse"), args.iterations)),
            ("spore jacfwd", timed(spore("forward_mode"), args.iterations)),
            ("numpy closed form", timed(lambda: closed_form(x, *ws),
                                        args.iterations))]
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed (apt-get install python3-torch): "
              "its columns are skipped")
    if torch is not None:
        print("PyTorch %s, %d threads" % (torch.__version__,
                                           torch.get_num_threads()))
        tx = torch.tensor(x)
        tw = [torch.tensor(w) for w in ws]

        def f(v):
            h = torch.tanh(tw[0] @ v)
            h = torch.tanh(tw[1] @ h)
            return torch.tanh(tw[2] @ h)

        for strategy in ["reverse-mode", "forward-mode"]:
            def jac(strategy=strategy):
                return torch.autograd.functional.jacobian(
                    f, tx, vectorize=True, strategy=strategy)
            got = jac().numpy()
            err = np.max(np.abs(got - want)) / np.max(np.abs(want))
            if not err < 1e-4:
                sys.exit("FAIL: PyTorch %s differs by %.2e" % (strategy, err))
            rows.append(("torch " + strategy, timed(jac, args.iterations)))
    for name, ms in rows:
        print("%-22s %8.3f ms" % (name, ms))


if __name__ == "__main__":
    main()
