#!/usr/bin/env python3
"""Indexing end to end: NumPy basic indexing (ints, negative ints, slices
with steps, None, ...), run-time integer indices, integer-array indexing
(gather) and functional updates, compiled by sporec and compared with the
same source run by CPython on NumPy arrays.

Usage: check_indexing.py SPOREC WORKDIR
"""
import ctypes
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import close, compile_shared, oracle  # noqa: E402

SPOREC, WORKDIR = sys.argv[1], sys.argv[2]
os.makedirs(WORKDIR, exist_ok=True)

# (name, expression over x: f32[4, 5, 6], idx: i32[3], i: i64)
READS = [
    ("int", "x[0]"), ("negative", "x[-1]"), ("two_ints", "x[1, -2]"),
    ("range", "x[1:3]"), ("reverse", "x[::-1]"), ("stepped", "x[1:5:2]"),
    ("mixed", "x[::2, 1]"), ("ellipsis", "x[..., 0]"),
    ("newaxis", "x[None, :, 1]"), ("newaxis_end", "x[:, 2, None]"),
    ("tail", "x[-3:]"), ("empty", "x[3:1]"), ("back_step", "x[3:0:-2, ::-3]"),
    ("all_ints", "x[1, 2, 3]"), ("gather", "x[idx]"),
    ("gather_axis1", "x[:, idx]"), ("gather_separated", "x[0, :, idx]"),
    ("gather_adjacent", "x[0, idx]"), ("runtime", "x[i]"),
    ("runtime_mixed", "x[i, 1:3, -1]"), ("runtime_last", "x[:, :, i]"),
]

UPDATES = [
    ("set_row", "x[1] = 7.0"), ("set_block", "x[1:3, 2] = v"),
    ("set_stepped", "x[::2, 1, ::-2] = 9.0"), ("set_runtime", "x[i] = x[0]"),
    ("add_point", "x[0, 0, 0] += 100.0"),
]

source = "from spore import *\n\n"
for name, expr in READS:
    source += ("@export\ndef %s(x: f32[4, 5, 6], idx: i32[3], i: i64):\n"
               "    return %s\n\n\n" % (name, expr))
for name, stmt in UPDATES:
    source += ("@export\ndef %s(x: f32[4, 5, 6], v: f32[6], i: i64) -> "
               "f32[4, 5, 6]:\n    %s\n    return x\n\n\n" % (name, stmt))
# Exports need annotated results: add them from NumPy's shapes.
x0 = np.zeros((4, 5, 6), np.float32)
ref = oracle(source)
lines = []
for line in source.split("\n"):
    for name, expr in READS:
        if line.startswith("def %s(" % name):
            shape = ref[name](x0, np.zeros(3, np.int32), np.int64(1)).shape
            line = line[:-1] + " -> f32%s:" % (list(shape) if shape else "")
    lines.append(line)
source = "\n".join(lines).replace("f32[]", "f32")
library, src = compile_shared(SPOREC, source, WORKDIR, "indexing")
ref = oracle(source, src)

rng = np.random.default_rng(9)
failures = 0
for name, _ in READS + UPDATES:
    fn = getattr(library, "indexing_" + name)
    fn.restype = ctypes.c_int
    bad = None
    for i in (0, 2, -1, 3):
        x = rng.standard_normal((4, 5, 6)).astype(np.float32)
        second = (rng.integers(-4, 4, 3).astype(np.int32)
                  if (name, _) in READS else
                  rng.standard_normal(6).astype(np.float32))
        iv = np.array(i, np.int64)
        want = np.asarray(ref[name](x.copy(), second.copy(), iv))
        got = np.zeros(want.shape, np.float32)
        rc = fn(*[a.ctypes.data_as(ctypes.c_void_p)
                  for a in (x, second, iv, got)])
        ok, why = close(got, want.astype(np.float64))
        if rc != 0 or not ok:
            bad = "i=%d: %s" % (i, why)
            break
    print(("PASS " if not bad else "FAIL ") + name + ("" if not bad else ": " + bad))
    failures += bool(bad)
print("%d failed" % failures)
sys.exit(1 if failures else 0)
