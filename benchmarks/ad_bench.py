#!/usr/bin/env python3
"""Differentiation benchmarks (issue 4): for MLP-S and one GPT block, the
time of the forward pass (the loss), of value_and_grad, and their ratio,
for Spore and, side by side in the same run, for PyTorch (Debian
python3-torch) on the same weights and inputs. Spore's loss and gradients
are checked against PyTorch's before anything is timed.

  MLP-S: 784-1024-1024-10, ReLU, softmax cross-entropy, batch 256.
  GPT block: d 768, 12 heads, ffn 3072 (GELU), pre-LayerNorm, causal
  attention, batch 2, sequence 128; loss = mean of the output squared.

Usage: ad_bench.py SPOREC [--iterations N] [--workdir DIR] [--only NAME]
                   [--sporec-arg=OPTION ...]
"""
import argparse
import ctypes
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

MLP = """
from spore import *


def loss(w1, b1, w2, b2, w3, b3, x, y):
    h = relu(x @ w1 + b1)
    h = relu(h @ w2 + b2)
    return cross_entropy(h @ w3 + b3, y)


@export
def forward(w1: f32[784, 1024], b1: f32[1024], w2: f32[1024, 1024],
            b2: f32[1024], w3: f32[1024, 10], b3: f32[10], x: f32[256, 784],
            y: i32[256]) -> f32:
    return loss(w1, b1, w2, b2, w3, b3, x, y)


@export
def train(w1: f32[784, 1024], b1: f32[1024], w2: f32[1024, 1024],
          b2: f32[1024], w3: f32[1024, 10], b3: f32[10], x: f32[256, 784],
          y: i32[256]) -> tuple[f32, f32[784, 1024], f32[1024],
                                f32[1024, 1024], f32[1024], f32[1024, 10],
                                f32[10]]:
    value, g = value_and_grad(loss, argnums=(0, 1, 2, 3, 4, 5))(
        w1, b1, w2, b2, w3, b3, x, y)
    return value, g[0], g[1], g[2], g[3], g[4], g[5]
"""

GPT = """
from spore import *

B = 2
T = 128
D = 768
H = 12


def heads(x):
    return transpose(reshape(x, (B, T, H, D // H)), (0, 2, 1, 3))


def block(ln1w, ln1b, wq, wk, wv, wo, ln2w, ln2b, w1, b1, w2, b2, x):
    h = layer_norm(x, ln1w, ln1b)
    a = attention(heads(h @ wq), heads(h @ wk), heads(h @ wv), causal=True)
    x = x + reshape(transpose(a, (0, 2, 1, 3)), (B, T, D)) @ wo
    h = layer_norm(x, ln2w, ln2b)
    return x + gelu(h @ w1 + b1, approximate=True) @ w2 + b2


def loss(ln1w, ln1b, wq, wk, wv, wo, ln2w, ln2b, w1, b1, w2, b2, x):
    out = block(ln1w, ln1b, wq, wk, wv, wo, ln2w, ln2b, w1, b1, w2, b2, x)
    return mean(out * out)


@export
def forward(ln1w: f32[768], ln1b: f32[768], wq: f32[768, 768],
            wk: f32[768, 768], wv: f32[768, 768], wo: f32[768, 768],
            ln2w: f32[768], ln2b: f32[768], w1: f32[768, 3072],
            b1: f32[3072], w2: f32[3072, 768], b2: f32[768],
            x: f32[2, 128, 768]) -> f32:
    return loss(ln1w, ln1b, wq, wk, wv, wo, ln2w, ln2b, w1, b1, w2, b2, x)


@export
def train(ln1w: f32[768], ln1b: f32[768], wq: f32[768, 768],
          wk: f32[768, 768], wv: f32[768, 768], wo: f32[768, 768],
          ln2w: f32[768], ln2b: f32[768], w1: f32[768, 3072],
          b1: f32[3072], w2: f32[3072, 768], b2: f32[768],
          x: f32[2, 128, 768]) -> tuple[f32, f32[768], f32[768],
                                        f32[768, 768], f32[768, 768],
                                        f32[768, 768], f32[768, 768],
                                        f32[768], f32[768], f32[768, 3072],
                                        f32[3072], f32[3072, 768], f32[768]]:
    v, g = value_and_grad(loss, argnums=(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                         11))(ln1w, ln1b, wq, wk, wv, wo,
                                              ln2w, ln2b, w1, b1, w2, b2, x)
    return (v, g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9],
            g[10], g[11])
"""


def mlp_inputs(rng):
    def w(i, o):
        return (rng.standard_normal((i, o)) / np.sqrt(i)).astype(np.float32)
    params = [w(784, 1024), np.zeros(1024, np.float32), w(1024, 1024),
              np.zeros(1024, np.float32), w(1024, 10), np.zeros(10, np.float32)]
    x = rng.standard_normal((256, 784)).astype(np.float32)
    y = rng.integers(0, 10, 256).astype(np.int32)
    return params, [x, y]


def gpt_inputs(rng):
    def w(i, o):
        return (rng.standard_normal((i, o)) / np.sqrt(i)).astype(np.float32)
    ones = np.ones(768, np.float32)
    zeros = np.zeros(768, np.float32)
    params = [ones, zeros, w(768, 768), w(768, 768), w(768, 768), w(768, 768),
              ones.copy(), zeros.copy(), w(768, 3072),
              np.zeros(3072, np.float32), w(3072, 768), zeros.copy()]
    x = rng.standard_normal((2, 128, 768)).astype(np.float32)
    return params, [x]


def torch_mlp(torch, p, xs):
    w1, b1, w2, b2, w3, b3 = p
    x, y = xs
    h = torch.relu(x @ w1 + b1)
    h = torch.relu(h @ w2 + b2)
    return torch.nn.functional.cross_entropy(h @ w3 + b3, y.long())


def torch_gpt(torch, p, xs):
    ln1w, ln1b, wq, wk, wv, wo, ln2w, ln2b, w1, b1, w2, b2 = p
    (x,) = xs
    F = torch.nn.functional

    def heads(t):
        return t.reshape(2, 128, 12, 64).permute(0, 2, 1, 3)
    h = F.layer_norm(x, (768,), ln1w, ln1b)
    q, k, v = heads(h @ wq), heads(h @ wk), heads(h @ wv)
    s = q @ k.transpose(-1, -2) / 8.0
    mask = torch.triu(torch.ones(128, 128, dtype=torch.bool), 1)
    a = torch.softmax(s.masked_fill(mask, -1e30), -1) @ v
    x = x + a.permute(0, 2, 1, 3).reshape(2, 128, 768) @ wo
    h = F.layer_norm(x, (768,), ln2w, ln2b)
    out = x + F.gelu(h @ w1 + b1, approximate="tanh") @ w2 + b2
    return (out * out).mean()


WORKLOADS = {
    "mlp_s": (MLP, mlp_inputs, torch_mlp),
    "gpt_block": (GPT, gpt_inputs, torch_gpt),
}


def timed(fn, iterations):
    fn()  # warm up
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sporec")
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--only", default=None)
    parser.add_argument("--sporec-arg", action="append", default=[],
                        help="an extra sporec option (repeatable), e.g. "
                             "--sporec-arg=--inline-all")
    args = parser.parse_args()
    workdir = args.workdir or tempfile.mkdtemp(prefix="spore-ad-bench-")
    os.makedirs(workdir, exist_ok=True)
    # PyTorch at its best: OpenBLAS chooses its own kernel and cache sizes
    # (the overrides are dropped before it loads; Spore reads neither).
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        os.environ.pop(name, None)
    cores = len(os.sched_getaffinity(0))
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed (apt-get install python3-torch): "
              "its columns stay empty")
    if torch is not None:
        blas = re.search(r"BLAS_INFO=([^,]*)", torch.__config__.show())
        print("PyTorch %s (BLAS_INFO=%s; libblas.so.3 is %s), timed with 1 "
              "and with %d threads, the faster kept"
              % (torch.__version__, blas.group(1) if blas else "?",
                 os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3"),
                 cores))
    rng = np.random.default_rng(0)
    print("%-10s %10s %10s %7s | %10s %10s %7s" % (
        "workload", "fwd ms", "v&g ms", "ratio", "torch fwd", "torch v&g",
        "ratio"))
    ok = True
    for name, (source, make, reference) in WORKLOADS.items():
        if args.only and name != args.only:
            continue
        src = os.path.join(workdir, name + ".py")
        lib = os.path.join(workdir, "lib%s.so" % name)
        with open(src, "w") as f:
            f.write(source)
        start = time.perf_counter()
        proc = subprocess.run([args.sporec, src, "--shared", "-o", lib] +
                              args.sporec_arg, capture_output=True, text=True)
        compile_s = time.perf_counter() - start
        if proc.returncode != 0:
            sys.exit("sporec failed on %s:\n%s" % (name, proc.stderr))
        library = ctypes.CDLL(lib)
        spore_threads = library.spore_num_threads()
        params, data = make(rng)
        inputs = params + data
        P = ctypes.c_void_p
        value = np.zeros((), np.float32)
        grads = [np.zeros_like(p) for p in params]
        fwd = library["%s_forward" % name]
        train = library["%s_train" % name]
        fwd_args = [a.ctypes.data_as(P) for a in inputs] + [value.ctypes.data_as(P)]
        train_args = ([a.ctypes.data_as(P) for a in inputs] +
                      [o.ctypes.data_as(P) for o in [value] + grads])
        if fwd(*fwd_args) != 0 or train(*train_args) != 0:
            sys.exit("%s: a call failed" % name)
        row = [timed(lambda: fwd(*fwd_args), args.iterations),
               timed(lambda: train(*train_args), args.iterations)]
        torch_row = ["", "", ""]
        if torch is not None:
            tp = [torch.tensor(p, requires_grad=True) for p in params]
            td = [torch.tensor(d) for d in data]
            loss = reference(torch, tp, td)
            loss.backward()
            # Spore against PyTorch: the loss, and each gradient relative
            # to its largest element.
            err = abs(float(value) - loss.item()) / max(1.0, abs(loss.item()))
            for g, t in zip(grads, tp):
                want = t.grad.numpy()
                err = max(err, float(np.abs(g - want).max() /
                                     max(1e-30, np.abs(want).max())))
            if err > 1e-3:
                ok = False
                print("%s: Spore differs from PyTorch by %.2e" % (name, err))

            def torch_forward():
                with torch.no_grad():
                    reference(torch, tp, td)

            def torch_train():
                for t in tp:
                    t.grad = None
                reference(torch, tp, td).backward()
            tf = tt = float("inf")
            for threads in sorted({1, cores}):
                torch.set_num_threads(threads)
                tf = min(tf, timed(torch_forward, args.iterations))
                tt = min(tt, timed(torch_train, args.iterations))
            torch_row = ["%.2f" % tf, "%.2f" % tt, "%.2f" % (tt / tf)]
        print("%-10s %10.2f %10.2f %7.2f | %10s %10s %7s   (compiled in %.1f s; "
              "Spore on %d threads)"
              % (name, row[0], row[1], row[1] / row[0], *torch_row, compile_s,
                 spore_threads))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
