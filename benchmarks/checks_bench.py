#!/usr/bin/env python3
"""What the run-time checks cost: the same model compiled with and without
`--no-runtime-checks`, timed call by call on the same inputs.

Two workloads are the worst case for checks, index work and little else:
an embedding lookup of a batch of token ids (`gather`: the ids are reduced
to their minimum and maximum and compared with the vocabulary), and a loop
that reads and writes one run-time position per iteration (`x[i]`,
`x[i] = v`: one compare per access); since a checked export stages its
results, both also pay one copy of their results. The third is a small
model around the same lookup (two matmuls after it), where the checks are
what they would be in practice. Both variants are checked to agree before
anything is timed.

Usage: checks_bench.py SPOREC [--iterations N] [--workdir DIR]
"""
import argparse
import ctypes
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

SOURCE = """
@export
def embed(table: f32[VOCAB, 64], ids: i64[BATCH]) -> f32[BATCH, 64]:
    return gather(table, ids)

@export
def classify(table: f32[VOCAB, 64], ids: i64[BATCH], w: f32[64, 256], v: f32[256, 10]) -> f32[BATCH, 10]:
    return tanh(gather(table, ids) @ w) @ v

@export
def walk(x: f32[LENGTH], order: i64[LENGTH], n: i64) -> f32[LENGTH]:
    for k in range(n):
        i = order[k]
        x[i] = x[i] * 0.5 + 1.0
    return x
"""

VOCAB, BATCH, LENGTH = 32000, 4096, 4096


def build(sporec, workdir, name, flags):
    src = os.path.join(workdir, "checks.py")
    with open(src, "w") as f:
        f.write(SOURCE.replace("VOCAB", str(VOCAB)).replace(
            "BATCH", str(BATCH)).replace("LENGTH", str(LENGTH)))
    lib = os.path.join(workdir, "lib%s.so" % name)
    subprocess.run([sporec, src, "--shared", "-o", lib] + flags, check=True)
    return ctypes.CDLL(lib)


def timed(fn, args, iterations):
    pointers = [a.ctypes.data_as(ctypes.c_void_p) for a in args]
    fn(*pointers)  # warm up
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        rc = fn(*pointers)
        times.append(time.perf_counter() - start)
        if rc != 0:
            sys.exit("FAIL: a call failed with %d" % rc)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sporec")
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--workdir")
    args = parser.parse_args()
    workdir = args.workdir or tempfile.mkdtemp(prefix="spore-checks-")
    os.makedirs(workdir, exist_ok=True)
    checked = build(args.sporec, workdir, "checked", [])
    unchecked = build(args.sporec, workdir, "unchecked",
                      ["--no-runtime-checks"])

    rng = np.random.default_rng(0)
    table = rng.standard_normal((VOCAB, 64)).astype(np.float32)
    ids = rng.integers(0, VOCAB, BATCH)
    x = rng.standard_normal(LENGTH).astype(np.float32)
    order = rng.permutation(LENGTH).astype(np.int64)
    n = np.array(LENGTH, np.int64)
    workloads = [
        ("embed", [table, ids], (BATCH, 64)),
        ("classify", [table, ids,
                      rng.standard_normal((64, 256)).astype(np.float32),
                      rng.standard_normal((256, 10)).astype(np.float32)],
         (BATCH, 10)),
        ("walk", [x, order, n], (LENGTH,)),
    ]
    print("workload   checked      unchecked    cost")
    for name, inputs, shape in workloads:
        outs = [np.zeros(shape, np.float32) for _ in range(2)]
        times = []
        for lib, out in zip((checked, unchecked), outs):
            fn = getattr(lib, ("checks_%s" % name))
            fn.restype = ctypes.c_int
            times.append(timed(fn, inputs + [out], args.iterations))
        if not np.array_equal(outs[0], outs[1]):
            sys.exit("FAIL: %s differs with and without checks" % name)
        print("%-9s %8.1f us  %8.1f us  %+5.1f%%" % (
            name, times[0] * 1e6, times[1] * 1e6,
            100 * (times[0] / times[1] - 1)))


if __name__ == "__main__":
    main()
