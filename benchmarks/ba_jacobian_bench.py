#!/usr/bin/env python3
"""Bundle-adjustment Jacobian (issue 12, item 5): the reprojection
residuals of N observations (a camera of 11 parameters, a 3-d point and a
weight each: Rodrigues rotation, perspective division, radial distortion;
the residual of ADBench's BA), and their 2x15 Jacobian per observation
written as a user would: 15 `jvp`s over all observations, one per
parameter, each seeded with a one-hot tangent and written into a column of
one result (`jac[:, :, j] = col`).

Spore's residuals are checked against a NumPy float64 implementation of
the same formula, and its Jacobian against central differences of that
NumPy implementation, before anything is timed. Reported: the objective
and the Jacobian (medians), their ratio (target <= 20: hand-written code
and Enzyme reach 7-8x), the compile time, and side by side NumPy's
objective and, when Debian's python3-torch is installed, the same 15
forward-mode products in PyTorch (torch.autograd.forward_ad) against
PyTorch's objective.

Usage: ba_jacobian_bench.py SPOREC [--n N] [--iterations K] [--workdir DIR]
"""
import argparse
import ctypes
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from jacobian_bench import timed  # the median of timed calls, in ms

SOURCE = """
from spore import *

N = {n}


def cross(a, b):
    return stack([a[:, 1] * b[:, 2] - a[:, 2] * b[:, 1],
                  a[:, 2] * b[:, 0] - a[:, 0] * b[:, 2],
                  a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]], axis=1)


def rotate(rot, x):
    sq = sum(rot * rot, axis=1, keepdims=True)
    small = sq < 1e-12
    theta = sqrt(where(small, 1.0, sq))
    w = rot / theta
    c = cos(theta)
    s = sin(theta)
    full = (x * c + cross(w, x) * s
            + w * (sum(w * x, axis=1, keepdims=True) * (1.0 - c)))
    return where(small, x + cross(rot, x), full)


def residual(p, feat):
    cam = p[:, 0:11]
    x = p[:, 11:14]
    w = p[:, 14:15]
    q = rotate(cam[:, 0:3], x - cam[:, 3:6])
    proj = q[:, 0:2] / q[:, 2:3]
    rsq = sum(proj * proj, axis=1, keepdims=True)
    dist = 1.0 + cam[:, 9:10] * rsq + cam[:, 10:11] * rsq * rsq
    return (proj * dist * cam[:, 6:7] + cam[:, 7:9] - feat) * w


@export
def objective(p: f64[N, 15], feat: f64[N, 2]) -> f64[N, 2]:
    return residual(p, feat)


@export
def jacobian(p: f64[N, 15], feat: f64[N, 2]) -> f64[N, 2, 15]:
    jac = zeros((N, 2, 15), f64)
    for j in range(15):
        t = zeros((N, 15), f64)
        t[:, j] = 1.0
        col = jvp(lambda q: residual(q, feat), (p,), (t,))[1]
        jac[:, :, j] = col
    return jac
"""


def inputs(n, rng):
    cam = np.concatenate([
        rng.normal(0, 0.3, (n, 3)),          # rotation (Rodrigues)
        rng.normal(0, 1, (n, 3)),            # camera centre
        rng.normal(500, 50, (n, 1)),         # focal length
        rng.normal(0, 1, (n, 2)),            # principal point
        rng.normal(0, 1e-3, (n, 2))], axis=1)  # radial distortion
    points = rng.normal(0, 1, (n, 3))
    points[:, 2] += 10                       # in front of the cameras
    weights = rng.uniform(0.5, 1.5, (n, 1))
    p = np.ascontiguousarray(np.concatenate([cam, points, weights], axis=1))
    feat = rng.normal(0, 100, (n, 2))
    return p, feat


def residual_reference(xp, p, feat):
    """The residuals in NumPy (xp = numpy: the float64 reference of the
    central differences) or in PyTorch (xp = torch: the peer), each with
    its own library's ops."""
    keep = {"keepdims": True} if xp is np else {"keepdim": True}

    def rowsum(a):
        return xp.sum(a, 1, **keep)

    def cross(a, b):
        return xp.stack([a[:, 1] * b[:, 2] - a[:, 2] * b[:, 1],
                         a[:, 2] * b[:, 0] - a[:, 0] * b[:, 2],
                         a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]], 1)

    rot, x = p[:, 0:3], p[:, 11:14] - p[:, 3:6]
    theta = xp.sqrt(rowsum(rot * rot))
    w = rot / theta
    c, s = xp.cos(theta), xp.sin(theta)
    q = x * c + cross(w, x) * s + w * (rowsum(w * x) * (1 - c))
    proj = q[:, 0:2] / q[:, 2:3]
    rsq = rowsum(proj * proj)
    dist = 1 + p[:, 9:10] * rsq + p[:, 10:11] * rsq * rsq
    return (proj * dist * p[:, 6:7] + p[:, 7:9] - feat) * p[:, 14:15]


def residual_numpy(p, feat):
    return residual_reference(np, p, feat)


def central_differences(p, feat, h=1e-6):
    jac = np.zeros((p.shape[0], 2, 15))
    for j in range(15):
        up, down = p.copy(), p.copy()
        up[:, j] += h
        down[:, j] -= h
        jac[:, :, j] = (residual_numpy(up, feat) -
                        residual_numpy(down, feat)) / (2 * h)
    return jac


def torch_rows(p, feat, iterations):
    """The objective and the 15 forward-mode products in PyTorch."""
    try:
        import torch
        import torch.autograd.forward_ad as fwad
    except ImportError:
        print("PyTorch is not installed (apt-get install python3-torch): "
              "its rows are skipped")
        return [], None
    tp, tf = torch.tensor(p), torch.tensor(feat)

    def residual(q):
        return residual_reference(torch, q, tf)

    def jacobian():
        jac = torch.empty(tp.shape[0], 2, 15, dtype=torch.float64)
        for j in range(15):
            t = torch.zeros_like(tp)
            t[:, j] = 1.0
            with fwad.dual_level():
                out = residual(fwad.make_dual(tp, t))
                jac[:, :, j] = fwad.unpack_dual(out).tangent
        return jac

    # At its best: with one thread and with every core, the faster kept.
    cores = len(os.sched_getaffinity(0))
    objective_ms = jacobian_ms = float("inf")
    with torch.no_grad():
        got = jacobian().numpy()
        for threads in sorted({1, cores}):
            torch.set_num_threads(threads)
            objective_ms = min(objective_ms,
                               timed(lambda: residual(tp), iterations))
            jacobian_ms = min(jacobian_ms, timed(jacobian, iterations))
    print("PyTorch %s, timed with 1 and with %d threads, the faster kept" %
          (torch.__version__, cores))
    return [("torch objective", objective_ms),
            ("torch 15 jvps", jacobian_ms)], got


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sporec")
    parser.add_argument("--n", type=int, default=1024,
                        help="observations")
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    # PyTorch at its best: OpenBLAS chooses its own kernel and cache sizes
    # (the overrides are dropped before it loads; Spore reads neither).
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        os.environ.pop(name, None)
    workdir = args.workdir or tempfile.mkdtemp(prefix="spore-ba-")
    os.makedirs(workdir, exist_ok=True)
    src = os.path.join(workdir, "ba.py")
    lib_path = os.path.join(workdir, "libba.so")
    with open(src, "w") as f:
        f.write(SOURCE.format(n=args.n))
    start = time.perf_counter()
    subprocess.run([args.sporec, src, "--shared", "-o", lib_path],
                   check=True)
    compile_s = time.perf_counter() - start
    lib = ctypes.CDLL(lib_path)

    p, feat = inputs(args.n, np.random.default_rng(0))
    res = np.zeros((args.n, 2))
    jac = np.zeros((args.n, 2, 15))
    ptr = ctypes.c_void_p

    def call(name, out):
        fn = getattr(lib, "ba_" + name)
        ptrs = [a.ctypes.data_as(ptr) for a in (p, feat, out)]
        return lambda: fn(*ptrs)

    objective, jacobian = call("objective", res), call("jacobian", jac)
    if objective() != 0 or jacobian() != 0:
        sys.exit("FAIL: an entry point returned an error")
    want = residual_numpy(p, feat)
    err = np.max(np.abs(res - want)) / np.max(np.abs(want))
    if not err < 1e-12:
        sys.exit("FAIL: the residuals differ from NumPy's by %.2e" % err)
    want_jac = central_differences(p, feat)
    err = np.max(np.abs(jac - want_jac)) / np.max(np.abs(want_jac))
    if not err < 1e-6:
        sys.exit("FAIL: the Jacobian differs from central differences by "
                 "%.2e" % err)
    print("Spore: compiled in %.2f s, SPORE_NUM_THREADS=%s; %d observations, "
          "f64; %d iterations, medians" %
          (compile_s, os.environ.get("SPORE_NUM_THREADS", "unset (every core)"),
           args.n, args.iterations))
    rows = [("spore objective", timed(objective, args.iterations)),
            ("spore 15 jvps", timed(jacobian, args.iterations)),
            ("numpy objective", timed(lambda: residual_numpy(p, feat),
                                      args.iterations))]
    more, torch_jac = torch_rows(p, feat, args.iterations)
    if torch_jac is not None:
        err = np.max(np.abs(torch_jac - want_jac)) / np.max(np.abs(want_jac))
        if not err < 1e-6:
            sys.exit("FAIL: PyTorch's Jacobian differs by %.2e" % err)
    rows += more
    for name, ms in rows:
        print("%-18s %8.3f ms" % (name, ms))
    times = dict(rows)
    print("Jacobian / objective: spore %.1f (target <= 20)" %
          (times["spore 15 jvps"] / times["spore objective"]) +
          ("; torch %.1f" % (times["torch 15 jvps"] / times["torch objective"])
           if "torch objective" in times else ""))


if __name__ == "__main__":
    main()
