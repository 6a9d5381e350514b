#!/usr/bin/env python3
"""checkpoint(f) against plain reverse mode: the peak memory and the time
of value_and_grad through a chain of residual blocks, with and without a
checkpoint around each block. Without it, every block's intermediate
values stay alive until the backward pass reaches the block; with it, only
the blocks' inputs do, and each block is evaluated again in the backward
pass. Both gradients are checked to be equal before anything is measured.

Peak memory is the growth of the process's maximum resident set during
one call, each variant in a fresh process.

Usage: checkpoint_bench.py SPOREC [--rows N] [--blocks L] [--workdir DIR]
"""
import argparse
import ctypes
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

SOURCE = """
from spore import *


def block(h):
    a = tanh(h) * 0.5
    b = exp(-a * a)
    c = sin(b + h)
    return h + c * a


def plain(x):
    h = x
    for i in range(BLOCKS):
        h = block(h)
    return mean(h * h)


def checkpointed(x):
    h = x
    for i in range(BLOCKS):
        h = checkpoint(block)(h)
    return mean(h * h)


@export
def run_plain(x: f32[ROWS, 1024]) -> tuple[f32, f32[ROWS, 1024]]:
    return value_and_grad(plain)(x)


@export
def run_checkpointed(x: f32[ROWS, 1024]) -> tuple[f32, f32[ROWS, 1024]]:
    return value_and_grad(checkpointed)(x)
"""


def measure(lib, variant, rows):
    """Runs in a child process: peak memory growth (MiB) and time (ms)."""
    library = ctypes.CDLL(lib)
    fn = library["checkpoint_bench_run_" + variant]
    x = np.random.default_rng(0).standard_normal((rows, 1024)).astype(
        np.float32)
    value = np.zeros((), np.float32)
    grad = np.zeros_like(x)
    P = ctypes.c_void_p
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    if fn(x.ctypes.data_as(P), value.ctypes.data_as(P),
          grad.ctypes.data_as(P)) != 0:
        sys.exit("the call failed")
    ms = 1000 * (time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    np.save(os.path.join(os.path.dirname(lib), variant + ".npy"), grad)
    print("%.1f %.2f" % (peak / 1024.0, ms))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sporec")
    parser.add_argument("--rows", type=int, default=256)
    parser.add_argument("--blocks", type=int, default=12)
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return measure(args.child[0], args.child[1], args.rows)
    workdir = args.workdir or tempfile.mkdtemp(prefix="spore-checkpoint-")
    os.makedirs(workdir, exist_ok=True)
    src = os.path.join(workdir, "checkpoint_bench.py")
    lib = os.path.join(workdir, "libcheckpoint_bench.so")
    with open(src, "w") as f:
        f.write(SOURCE.replace("ROWS", str(args.rows)).replace(
            "BLOCKS", str(args.blocks)))
    proc = subprocess.run([args.sporec, src, "--shared", "-o", lib],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit("sporec failed:\n" + proc.stderr)
    results = {}
    for variant in ("plain", "checkpointed"):
        out = subprocess.run(
            [sys.executable, os.path.abspath(__file__), args.sporec,
             "--rows", str(args.rows), "--child", lib, variant],
            capture_output=True, text=True, check=True).stdout.split()
        results[variant] = (float(out[0]), float(out[1]))
    plain = np.load(os.path.join(workdir, "plain.npy"))
    checked = np.load(os.path.join(workdir, "checkpointed.npy"))
    if not np.allclose(plain, checked, rtol=1e-5, atol=1e-7):
        sys.exit("the checkpointed gradient differs from the plain one")
    activation = args.rows * 1024 * 4 / 2 ** 20
    print("%d blocks on f32[%d, 1024] (%.1f MiB per activation)"
          % (args.blocks, args.rows, activation))
    print("%-14s %14s %10s" % ("variant", "peak MiB", "ms"))
    for variant, (peak, ms) in results.items():
        print("%-14s %14.1f %10.2f" % (variant, peak, ms))


if __name__ == "__main__":
    main()
