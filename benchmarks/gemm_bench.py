#!/usr/bin/env python3
"""sgemm side by side (issue 12): C = A B in f32 for square sizes, with A
or B optionally transposed, compiled by sporec and called through its C
entry point, against OpenBLAS (through NumPy) and oneDNN (dnnl_sgemm, the
C++ peer spore-gemm-peer, built when Debian's libdnnl-dev is installed).

Every peer runs at its best: in its own process, on every core (the
libraries' defaults; the count is printed), with OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE removed from that process's environment, and OpenBLAS's
kernel choice printed. All three compute on the same inputs, and each
result is checked (Spore's against a float64 product, the peers' through
the checksum of C) before anything is timed. Prints GFLOP/s (medians) and
Spore's speed over the faster peer's (higher is better).

Usage: gemm_bench.py SPOREC [--peer PATH] [--sizes 1024,2048]
                     [--layouts nn,tn,nt] [--repeats N] [--rounds R]
                     [--workdir DIR]
"""
import argparse
import ctypes
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "test", "e2e"))
from reference import compile_shared  # noqa: E402

NUMPY_PEER = r"""
import sys, time
import numpy as np
m, k, n, ta, tb, repeats = map(int, sys.argv[1:])
a = np.sin(np.arange(m * k, dtype=np.float64)).astype(np.float32)
b = np.cos(np.arange(k * n, dtype=np.float64)).astype(np.float32)
a = a.reshape((k, m) if ta else (m, k))
b = b.reshape((n, k) if tb else (k, n))
x, y = (a.T if ta else a), (b.T if tb else b)
c = x @ y
times = []
for _ in range(repeats):
    start = time.perf_counter()
    x @ y
    times.append(time.perf_counter() - start)
print("%.9f %.9g" % (sorted(times)[len(times) // 2], c.astype(np.float64).sum()))
"""


def peer_environment():
    env = dict(os.environ)
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                 "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.pop(name, None)
    return env


def inputs(m, k, n, ta, tb):
    a = np.sin(np.arange(m * k, dtype=np.float64)).astype(np.float32)
    b = np.cos(np.arange(k * n, dtype=np.float64)).astype(np.float32)
    return (a.reshape((k, m) if ta else (m, k)),
            b.reshape((n, k) if tb else (k, n)))


def source(m, k, n, ta, tb):
    a = "f32[%d, %d]" % ((k, m) if ta else (m, k))
    b = "f32[%d, %d]" % ((n, k) if tb else (k, n))
    return ("from spore import *\n\n\n@export\n"
            "def mm(a: %s, b: %s) -> f32[%d, %d]:\n    return %s @ %s\n"
            % (a, b, m, n, "transpose(a)" if ta else "a",
               "transpose(b)" if tb else "b"))


def run_peer(command, what):
    proc = subprocess.run(command, capture_output=True, text=True,
                          env=peer_environment())
    if proc.returncode != 0:
        sys.exit("%s failed:\n%s" % (what, proc.stderr))
    seconds, checksum = proc.stdout.split()
    return float(seconds), float(checksum)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sporec")
    parser.add_argument("--peer", default=None,
                        help="spore-gemm-peer (oneDNN); skipped when absent")
    parser.add_argument("--sizes", default="1024,2048")
    parser.add_argument("--layouts", default="nn,tn,nt")
    parser.add_argument("--repeats", type=int, default=0,
                        help="calls timed per run (default: about 4 GFLOP)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating rounds of Spore and the peers")
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    workdir = args.workdir or tempfile.mkdtemp(prefix="spore-gemm-")
    os.makedirs(workdir, exist_ok=True)
    cores = len(os.sched_getaffinity(0))

    kernel = subprocess.run(
        [sys.executable, "-c", "import numpy as np; np.ones((64, 64)) @ np.ones((64, 64))"],
        capture_output=True, text=True,
        env=dict(peer_environment(), OPENBLAS_VERBOSE="2"))
    kernel = (kernel.stdout + kernel.stderr).strip()
    print("peers: NumPy %s on %s (%s), threads: library default on %d cores; "
          "oneDNN dnnl_sgemm: %s"
          % (np.__version__, "OpenBLAS" if "Core" in kernel else "its BLAS",
             kernel or "kernel not reported", cores,
             args.peer if args.peer and os.path.exists(args.peer)
             else "not built (scripts/setup --benchmarks, then rebuild)"))
    print("%-6s %-6s %12s %12s %12s %8s" % ("n", "layout", "Spore GF/s",
                                             "OpenBLAS", "oneDNN", "speed"))
    for size in [int(s) for s in args.sizes.split(",")]:
        for layout in args.layouts.split(","):
            ta, tb = layout[0] == "t", layout[1] == "t"
            m = k = n = size
            name = "mm%d%s" % (size, layout)
            library, _ = compile_shared(args.sporec, source(m, k, n, ta, tb),
                                        workdir, name)
            threads = library.spore_num_threads()
            a, b = inputs(m, k, n, ta, tb)
            c = np.zeros((m, n), np.float32)
            P = ctypes.c_void_p
            call = library["%s_mm" % name]
            call_args = [a.ctypes.data_as(P), b.ctypes.data_as(P),
                         c.ctypes.data_as(P)]
            if call(*call_args) != 0:
                sys.exit("%s: the call failed" % name)
            want = ((a.T if ta else a).astype(np.float64) @
                    (b.T if tb else b).astype(np.float64))
            error = np.abs(c - want).max() / np.abs(want).max()
            if error > 1e-4:
                sys.exit("%s: Spore differs from the float64 product by %.1e"
                         % (name, error))
            flops = 2.0 * m * n * k
            repeats = args.repeats or max(3, int(4e9 / flops))
            # Rounds of Spore, then each peer: a machine whose speed drifts
            # (other tenants) affects the three alike; the medians of the
            # rounds are reported.
            spore_runs, openblas_runs, onednn_runs = [], [], []
            for _ in range(args.rounds):
                times = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    call(*call_args)
                    times.append(time.perf_counter() - start)
                spore_runs.append(flops / sorted(times)[len(times) // 2] / 1e9)
                seconds, checksum = run_peer(
                    [sys.executable, "-c", NUMPY_PEER] +
                    [str(v) for v in (m, k, n, int(ta), int(tb), repeats)],
                    "NumPy")
                if abs(checksum - want.sum()) > 1e-3 * np.abs(want).sum():
                    sys.exit("%s: NumPy's checksum %g, expected %g"
                             % (name, checksum, want.sum()))
                openblas_runs.append(flops / seconds / 1e9)
                if args.peer and os.path.exists(args.peer):
                    seconds, checksum = run_peer(
                        [args.peer] + [str(v) for v in
                                       (m, k, n, int(ta), int(tb), repeats)],
                        "oneDNN")
                    if abs(checksum - want.sum()) > 1e-3 * np.abs(want).sum():
                        sys.exit("%s: oneDNN's checksum %g, expected %g"
                                 % (name, checksum, want.sum()))
                    onednn_runs.append(flops / seconds / 1e9)
            spore = float(np.median(spore_runs))
            openblas = float(np.median(openblas_runs))
            onednn = float(np.median(onednn_runs)) if onednn_runs else None
            best = max(openblas, onednn or 0.0)
            print("%-6d %-6s %8.1f (%d) %12.1f %12s %7.2fx"
                  % (size, layout, spore, threads, openblas,
                     "%.1f" % onednn if onednn else "-", spore / best))


if __name__ == "__main__":
    main()
