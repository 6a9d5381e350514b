#!/usr/bin/env python3
"""Run-time checks (docs/guarantees.md): an index out of bounds or a range
step of 0 known only at run time fails the call with SPORE_ERROR_VALUE and
a message naming the source location, the index and the bound; the call
then writes none of its results. In-bounds calls give NumPy's answers.
The interpreter (`spore-run --eager`) reports the same message, and
`--no-runtime-checks` removes the checks (indices are clamped, rc 0).

Usage: check_runtime_checks.py SPOREC SPORE_RUN RUNTIME_LIB WORKDIR
"""
import ctypes
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import compile_shared  # noqa: E402

SPORE_ERROR_VALUE = 6
SENTINEL = -7.25

SOURCE = """
@export
def point(x: f32[4], i: i64) -> f32:
    return x[i]

@export
def row(x: f32[3, 4], i: i64, j: i64) -> f32[4]:
    return x[i] + x[1, j]

@export
def take(x: f32[4], idx: i64[3]) -> f32[3]:
    return gather(x, idx)

@export
def fancy(x: f32[4, 2], idx: i32[2]) -> f32[2, 2]:
    return x[idx]

@export
def update(x: f32[4], i: i64, v: f32) -> f32[4]:
    x[i] = v
    return x

@export
def scatter(x: f32[4], idx: i64[2], u: f32[2]) -> f32[4]:
    return scatter_add(x, idx, u)

@export
def stepped(x: f32[4], step: i64) -> f32:
    total = 0.0
    for k in range(0, 4, step):
        total = total + x[k]
    return total

@export
def in_loop(x: f32[4], n: i64) -> f32:
    total = 0.0
    for k in range(n):
        total = total + x[k]
    return total

def pick(x, i):
    return sum(x * x) * x[i]

@export
def under_grad(x: f64[4], i: i64) -> f64[4]:
    return grad(pick)(x, i)

@export
def loss(logits: f32[2, 3], labels: i32[2]) -> f32:
    return cross_entropy(logits, labels)

@export
def onehot(labels: i64[2]) -> f32[2, 3]:
    return one_hot(labels, 3)
"""

rng = np.random.default_rng(11)
X4 = rng.standard_normal(4).astype(np.float32)
X34 = rng.standard_normal((3, 4)).astype(np.float32)
X42 = rng.standard_normal((4, 2)).astype(np.float32)
X64 = rng.standard_normal(4)
X23 = rng.standard_normal((2, 3)).astype(np.float32)


def cross_entropy(logits, labels):
    z = logits.astype(np.float64)
    logp = z - z.max(-1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(-1, keepdims=True))
    return -np.mean(logp[np.arange(len(labels)), labels])


def grad_pick(x, i):
    g = 2 * x * x[i]
    g[i] += np.sum(x * x)
    return g


def add_at(x, idx, u):
    x = x.copy()
    np.add.at(x, idx, u)
    return x


def update_at(x, i, v):
    x = x.copy()
    x[i] = v
    return x


i64 = lambda v: np.array(v, np.int64)  # noqa: E731
# (export, arguments, result shape and dtype, NumPy's answer or the
# message the call must fail with)
CASES = [
    ("point", [X4, i64(2)], ((), np.float32), X4[2]),
    ("point", [X4, i64(-4)], ((), np.float32), X4[-4]),
    ("point", [X4, i64(7)], ((), np.float32),
     "rc.py:4:14: index 7 is out of bounds for axis 0 with size 4"),
    ("point", [X4, i64(-9)], ((), np.float32),
     "rc.py:4:14: index -9 is out of bounds for axis 0 with size 4"),
    ("row", [X34, i64(2), i64(-1)], ((4,), np.float32), X34[2] + X34[1, -1]),
    ("row", [X34, i64(3), i64(0)], ((4,), np.float32),
     "rc.py:8:14: index 3 is out of bounds for axis 0 with size 3"),
    ("row", [X34, i64(0), i64(4)], ((4,), np.float32),
     "rc.py:8:24: index 4 is out of bounds for axis 1 with size 4"),
    ("take", [X4, np.array([0, 3, -4])], ((3,), np.float32),
     X4[[0, 3, -4]]),
    ("take", [X4, np.array([0, 9, -20])], ((3,), np.float32),
     "rc.py:12:22: index 9 is out of bounds for axis 0 with size 4"),
    ("take", [X4, np.array([0, 1, -20])], ((3,), np.float32),
     "rc.py:12:22: index -20 is out of bounds for axis 0 with size 4"),
    ("fancy", [X42, np.array([3, -1], np.int32)], ((2, 2), np.float32),
     X42[[3, -1]]),
    ("fancy", [X42, np.array([4, 0], np.int32)], ((2, 2), np.float32),
     "rc.py:16:14: index 4 is out of bounds for axis 0 with size 4"),
    ("update", [X4, i64(1), np.array(5.0, np.float32)], ((4,), np.float32),
     update_at(X4, 1, 5.0)),
    ("update", [X4, i64(4), np.array(5.0, np.float32)], ((4,), np.float32),
     "rc.py:20:7: index 4 is out of bounds for axis 0 with size 4"),
    ("scatter", [X4, np.array([1, 1]), np.array([1, 2], np.float32)],
     ((4,), np.float32), add_at(X4, [1, 1], [1, 2])),
    ("scatter", [X4, np.array([1, 5]), np.array([1, 2], np.float32)],
     ((4,), np.float32),
     "rc.py:25:27: index 5 is out of bounds for axis 0 with size 4"),
    ("stepped", [X4, i64(2)], ((), np.float32), X4[0] + X4[2]),
    ("stepped", [X4, i64(0)], ((), np.float32),
     "rc.py:30:26: range() step must not be zero"),
    ("in_loop", [X4, i64(4)], ((), np.float32), X4.sum()),
    # The first failing iteration is the one reported.
    ("in_loop", [X4, i64(7)], ((), np.float32),
     "rc.py:38:27: index 4 is out of bounds for axis 0 with size 4"),
    ("under_grad", [X64, i64(2)], ((4,), np.float64), grad_pick(X64, 2)),
    ("under_grad", [X64, i64(4)], ((4,), np.float64),
     "rc.py:42:27: index 4 is out of bounds for axis 0 with size 4"),
    # Class labels (PyTorch's "Target out of bounds"), named at the call.
    ("loss", [X23, np.array([2, 0], np.int32)], ((), np.float32),
     cross_entropy(X23, [2, 0])),
    ("loss", [X23, np.array([3, 0], np.int32)], ((), np.float32),
     "rc.py:50:12: label 3 is out of range for 3 classes"),
    ("loss", [X23, np.array([0, -1], np.int32)], ((), np.float32),
     "rc.py:50:12: label -1 is out of range for 3 classes"),
    ("onehot", [np.array([2, 0])], ((2, 3), np.float32),
     np.eye(3, dtype=np.float32)[[2, 0]]),
    ("onehot", [np.array([1, 7])], ((2, 3), np.float32),
     "rc.py:54:12: label 7 is out of range for 3 classes"),
]


def main():
    sporec, spore_run, runtime, workdir = sys.argv[1:5]
    os.makedirs(workdir, exist_ok=True)
    library, src = compile_shared(sporec, SOURCE, workdir, "rc")
    rt = ctypes.CDLL(runtime)
    rt.spore_last_error.restype = ctypes.c_char_p
    failures = 0
    for name, args, (shape, dtype), want in CASES:
        fn = getattr(library, "rc_" + name)
        fn.restype = ctypes.c_int
        out = np.full(shape, SENTINEL, dtype)
        rc = fn(*[a.ctypes.data_as(ctypes.c_void_p) for a in args + [out]])
        if isinstance(want, str):
            message = rt.spore_last_error().decode()
            ok = (rc == SPORE_ERROR_VALUE and message == want and
                  np.all(out == SENTINEL))
            why = "rc %d, message %r, result %s written: %s" % (
                rc, message, "not" if np.all(out == SENTINEL) else "", out)
        else:
            ok = rc == 0 and np.allclose(out, want, rtol=1e-6, atol=1e-6)
            why = "rc %d, got %s, want %s" % (rc, out, want)
        print(("PASS " if ok else "FAIL ") + name + " " +
              " ".join(str(a.tolist()) for a in args[1:] or args) +
              ("" if ok else ": " + why))
        failures += not ok

    # The interpreter fails with the same message, and writes no result.
    params = {"point": ["x", "i"], "take": ["x", "idx"]}
    for name, args, _, want in CASES:
        if name not in params or not isinstance(want, str):
            continue
        outdir = os.path.join(workdir, "eager_" + name)
        os.makedirs(outdir, exist_ok=True)
        inputs = []
        for pname, a in zip(params[name], args):
            path = os.path.join(workdir, "%s_%s.npy" % (name, pname))
            np.save(path, a)
            inputs += ["--input", "%s=%s" % (pname, path)]
        proc = subprocess.run([spore_run, "--eager", src, name] + inputs +
                              ["--out", outdir], capture_output=True,
                              text=True)
        ok = (proc.returncode != 0 and want in proc.stderr and
              not os.listdir(outdir))
        print(("PASS " if ok else "FAIL ") + "eager " + name +
              ("" if ok else ": rc %d, stderr %r, wrote %s" % (
                  proc.returncode, proc.stderr, os.listdir(outdir))))
        failures += not ok

    # --no-runtime-checks: the same calls succeed, with clamped indices.
    unchecked = os.path.join(workdir, "librc_unchecked.so")
    subprocess.run([sporec, src, "--shared", "--no-runtime-checks", "-o",
                    unchecked], check=True)
    lib = ctypes.CDLL(unchecked)
    out = np.zeros((), np.float32)
    rc = lib.rc_point(X4.ctypes.data_as(ctypes.c_void_p),
                      i64(7).ctypes.data_as(ctypes.c_void_p),
                      out.ctypes.data_as(ctypes.c_void_p))
    ok = rc == 0 and out == X4[3]
    print(("PASS " if ok else "FAIL ") + "--no-runtime-checks clamps" +
          ("" if ok else ": rc %d, %s" % (rc, out)))
    failures += not ok

    total = len(CASES) + 3
    print("%d passed, %d failed" % (total - failures, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
