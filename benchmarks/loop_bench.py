#!/usr/bin/env python3
"""Loops that carry a few scalars (issue 12): a two-variable recurrence

    x = x + 0.1 * v;  v = v - 0.001 * x * w        (n iterations)

compiled by sporec, forward and under grad (d x_n / d w), against the same
loop in C and a hand-written C adjoint (a tape of x, then the reverse
sweep), compiled with the C compiler at -O2. Spore's results are checked
against C's (relative 1e-3: float32 over up to 10^6 steps) before
anything is timed. Prints nanoseconds per iteration (medians) and Spore's
time over C's (lower is better; target ≤ 2).

Usage: loop_bench.py SPOREC [--cc CC] [--n N] [--rounds R] [--workdir DIR]
"""
import argparse
import ctypes
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "test", "e2e"))
from reference import compile_shared  # noqa: E402

SPORE = """
from spore import *


def run(n: i64, x0: f32, v0: f32, w: f32) -> f32:
    x = x0
    v = v0
    for i in range(n):
        x = x + 0.1 * v
        v = v - 0.001 * x * w
    return x


@export
def forward(n: i64, x0: f32, v0: f32, w: f32) -> f32:
    return run(n, x0, v0, w)


@export
def gradient(n: i64, x0: f32, v0: f32, w: f32) -> f32:
    return grad(run, argnums=3)(n, x0, v0, w)
"""

C = r"""
#include <stdlib.h>

float loop_forward(long n, float x, float v, float w) {
  for (long i = 0; i < n; ++i) {
    x = x + 0.1f * v;
    v = v - 0.001f * x * w;
  }
  return x;
}

/* d x_n / d w: the forward sweep keeps each new x, the reverse sweep runs
   the adjoint of both statements in the opposite order. */
float loop_gradient(long n, float x, float v, float w) {
  float *tape = malloc(sizeof(float) * (n > 0 ? n : 1));
  for (long i = 0; i < n; ++i) {
    x = x + 0.1f * v;
    tape[i] = x;
    v = v - 0.001f * x * w;
  }
  float xb = 1.0f, vb = 0.0f, wb = 0.0f;
  for (long i = n - 1; i >= 0; --i) {
    xb += -0.001f * w * vb;
    wb += -0.001f * tape[i] * vb;
    vb += 0.1f * xb;
  }
  free(tape);
  return wb;
}
"""


def median_seconds(fn, rounds):
    fn()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sporec")
    parser.add_argument("--cc", default=shutil.which("clang-22") or "cc")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    workdir = args.workdir or tempfile.mkdtemp(prefix="spore-loop-")
    os.makedirs(workdir, exist_ok=True)
    spore, _ = compile_shared(args.sporec, SPORE, workdir, "loop")
    csrc = os.path.join(workdir, "loop.c")
    clib = os.path.join(workdir, "libloop_c.so")
    with open(csrc, "w") as f:
        f.write(C)
    proc = subprocess.run([args.cc, "-O2", "-shared", "-fPIC", csrc, "-o", clib],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit("%s failed:\n%s" % (args.cc, proc.stderr))

    c = ctypes.CDLL(clib)
    peers = {}
    for what in ("forward", "gradient"):
        peer = c["loop_" + what]
        peer.restype = ctypes.c_float
        peer.argtypes = [ctypes.c_long, ctypes.c_float, ctypes.c_float,
                         ctypes.c_float]
        peers[what] = peer
    n = np.array(args.n, np.int64)
    x0, v0, w = (np.array(v, np.float32) for v in (1.0, 0.5, 0.3))
    out = np.zeros((), np.float32)
    P = ctypes.c_void_p
    call_args = [a.ctypes.data_as(P) for a in (n, x0, v0, w, out)]

    print("compiled with sporec and %s -O2; n = %d; one thread each"
          % (os.path.basename(args.cc), args.n))
    print("%-9s %12s %12s %8s" % ("", "Spore ns/it", "C ns/it", "ratio"))
    for what in ("forward", "gradient"):
        fn = spore["loop_" + what]
        if fn(*call_args) != 0:
            sys.exit("loop_%s failed" % what)
        got = float(out)
        peer = peers[what]
        want = peer(args.n, 1.0, 0.5, 0.3)
        if abs(got - want) > 1e-3 * max(1.0, abs(want)):
            sys.exit("%s: Spore gives %r, C %r" % (what, got, want))
        t_spore = median_seconds(lambda: fn(*call_args), args.rounds)
        t_c = median_seconds(lambda: peer(args.n, 1.0, 0.5, 0.3),
                             args.rounds)
        print("%-9s %12.2f %12.2f %8.2f" % (
            what, t_spore / args.n * 1e9, t_c / args.n * 1e9, t_spore / t_c))


if __name__ == "__main__":
    main()
