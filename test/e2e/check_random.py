#!/usr/bin/env python3
"""Random numbers end to end: spore.random's bits must equal an independent
Python Philox-4x32-10 exactly (so every target draws the same stream);
uniform draws are the top 24 bits; normal, bernoulli, randint and dropout
have the right statistics; keys are deterministic and split keys differ.

Usage: check_random.py SPOREC WORKDIR
"""
import ctypes
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import compile_shared  # noqa: E402

SPOREC, WORKDIR = sys.argv[1], sys.argv[2]
os.makedirs(WORKDIR, exist_ok=True)
M = 0xFFFFFFFF


def philox(counter, key):
    c, k = list(counter), list(key)
    for _ in range(10):
        p0 = 0xD2511F53 * c[0]
        p1 = 0xCD9E8D57 * c[2]
        c = [(p1 >> 32) ^ c[1] ^ k[0], p1 & M, (p0 >> 32) ^ c[3] ^ k[1], p0 & M]
        k = [(k[0] + 0x9E3779B9) & M, (k[1] + 0xBB67AE85) & M]
    return c[0]


SOURCE = '''
from spore import *

@export
def bits(seed: i64) -> i32[3, 5]:
    return random_bits(rng(seed), (3, 5))

@export
def draws(seed: i64) -> tuple[f32[4096], f32[4096], f32[4096], i32[4096], f32[4096], f32[8]]:
    k1, k2 = split(rng(seed))
    k3, k4 = split(k2)
    x = ones(4096) * 2.0
    return (uniform(k1, (4096,)), normal(k3, (4096,)),
            bernoulli(k4, 0.25, (4096,)).astype(f32), randint(k1, (4096,), 3, 9),
            dropout(k3, x, 0.5), random_uniform(rng(7), (8,)))
'''
library, _ = compile_shared(SPOREC, SOURCE, WORKDIR, "random")
failures = 0


def check(name, ok, why=""):
    global failures
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + why))
    failures += not ok


for seed in (0, 12345, 2**40 + 17, -1):
    s = np.array(seed, np.int64)
    out = np.zeros((3, 5), np.int32)
    library.random_bits(s.ctypes.data_as(ctypes.c_void_p),
                        out.ctypes.data_as(ctypes.c_void_p))
    key = (seed & M, (seed >> 32) & M)
    want = np.array([philox((i & M, i >> 32, 0, 0), key) for i in range(15)],
                    np.uint64).astype(np.uint32).view(np.int32).reshape(3, 5)
    check("philox bits, seed %d" % seed, np.array_equal(out, want),
          "got %s want %s" % (out.ravel()[:4], want.ravel()[:4]))

outs = [np.zeros(4096, np.float32), np.zeros(4096, np.float32),
        np.zeros(4096, np.float32), np.zeros(4096, np.int32),
        np.zeros(4096, np.float32), np.zeros(8, np.float32)]
s = np.array(99, np.int64)
library.random_draws(*[a.ctypes.data_as(ctypes.c_void_p) for a in [s] + outs])
u, n, b, r, d, u7 = outs
check("uniform range and mean", u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.02,
      "min %g max %g mean %g" % (u.min(), u.max(), u.mean()))
check("normal moments", abs(n.mean()) < 0.06 and abs(n.std() - 1) < 0.05,
      "mean %g std %g" % (n.mean(), n.std()))
check("bernoulli rate", abs(b.mean() - 0.25) < 0.03, "mean %g" % b.mean())
check("randint range", r.min() == 3 and r.max() == 8 and set(np.unique(r)) == set(range(3, 9)),
      "values %s" % np.unique(r))
check("dropout keeps half, scaled", set(np.unique(d)) <= {0.0, 4.0} and abs((d > 0).mean() - 0.5) < 0.03,
      "values %s" % np.unique(d)[:5])
want7 = np.array([(philox((i, 0, 0, 0), (7, 0)) >> 8) / 2.0**24 for i in range(8)],
                 np.float32)
check("uniform is the top 24 bits", np.array_equal(u7, want7), "%s vs %s" % (u7, want7))
again = [np.zeros_like(a) for a in outs]
library.random_draws(*[a.ctypes.data_as(ctypes.c_void_p) for a in [s] + again])
check("deterministic", all(np.array_equal(x, y) for x, y in zip(outs, again)))
check("split keys differ", not np.array_equal(u, n))
print("%d failed" % failures)
sys.exit(1 if failures else 0)
