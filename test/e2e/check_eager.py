#!/usr/bin/env python3
"""The reference interpreter against compiled code: every export of the
models below runs through spore-run twice, compiled and with --eager, on
the same random inputs, and the results must agree (relative error <= 1e-3
for floats, NaN where both give NaN: the compiled code uses polynomial
approximations and other summation orders in f32, which three batch
normalisations in a row amplify to ~5e-4; exact for integers).

Usage: check_eager.py SPORE_RUN SOURCE_ROOT WORKDIR
"""
import os
import re
import shutil
import subprocess
import sys
import textwrap

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import check_headers  # noqa: E402

spore_run, root, workdir = sys.argv[1:4]
shutil.rmtree(workdir, ignore_errors=True)
os.makedirs(workdir)
sporec = os.path.join(os.path.dirname(spore_run), "sporec")
cache = os.path.join(workdir, "cache")

EXTRA = textwrap.dedent('''
    from spore import *


    def power(x, n):
        if n == 0:
            return x * 0.0 + 1.0
        return x * power(x, n - 1)


    @export
    def control(v: f32[6], x: f32, n: i64) -> tuple[f32[6], f32, i64]:
        acc = v
        total = 0.0
        k = 0
        for i in range(n + 3):
            if acc.sum() > x * 10.0:
                break
            acc = acc * 1.5 + x
            if i % 2 == 1:
                continue
            total = total + acc[i % 6]
        while k < 5 and total > -100.0:
            total = total - 1.0
            k += 1
        return power(acc, n + 1), total, k


    @export
    def data(x: f32[4, 5], idx: i32[3], u: f32[3, 5]) -> tuple[f32[3, 5], f32[4, 5], f32[5, 4], f32[4, 3]]:
        y = x[::-1, 1:]
        x[1:3, ::2] = 0.5
        z = scatter_add(x, idx, u)
        w = einsum('ij,kj->ik', x, u)
        return x[idx], z, cumsum(x, axis=0).T, w + y[:, :3]


    @export
    def nn(img: f32[2, 6, 6, 3], w: f32[3, 3, 3, 4], seed: i64) -> tuple[f32[2, 3, 3, 4], f32[2, 8]]:
        h = relu(conv2d(img, w, padding='same'))
        key = rng(seed)
        noise = normal(key, (2, 8)) * 0.1 + dropout(split(key)[1], ones((2, 8)), 0.25)
        return max_pool2d(h, 2), gelu(noise) + layer_norm(noise, ones(8), zeros(8))
''')

models = [os.path.join(root, "benchmarks", "models", "cnn_transformer.py")]
extra = os.path.join(workdir, "eager_models.py")
with open(extra, "w") as f:
    f.write(EXTRA)
models.append(extra)

rng = np.random.default_rng(17)
DT = {"f32": np.float32, "f64": np.float64, "i32": np.int32, "i64": np.int64,
      "bool": np.bool_}


def make(dtype, shape):
    if dtype.startswith("f"):
        return (rng.standard_normal(shape) * 0.5).astype(DT[dtype])
    if dtype == "i64":
        return np.asarray(rng.integers(1, 4, shape), np.int64)
    # Indices (the only i32 inputs) stay in bounds of the axes they index.
    return np.asarray(rng.integers(0, 4, shape), DT[dtype])


failures = 0
for model in models:
    name = os.path.splitext(os.path.basename(model))[0]
    header_dir = os.path.join(workdir, name)
    os.makedirs(header_dir, exist_ok=True)
    subprocess.run([sporec, model, "-o", os.path.join(header_dir, name + ".o")],
                   check=True)
    check_headers(header_dir, name)
    header = open(os.path.join(header_dir, name + ".h")).read()
    for entry, params in re.findall(r"/\* (\w+)\((.*?)\) -> ", header):
        args = []
        for pname, ptype in re.findall(r"(\w+): (\w+(?:\[[^\]]*\])?)", params):
            m = re.match(r"(\w+)(?:\[(.*)\])?", ptype)
            dtype, dims = m.group(1), m.group(2) or ""
            shape = tuple(int(d) for d in dims.split(", ")) if dims else ()
            path = os.path.join(header_dir, "%s_%s.npy" % (entry, pname))
            np.save(path, make(dtype, shape))
            args += ["--input", "%s=%s" % (pname, path)]
        outs = {}
        for mode in ("compiled", "eager"):
            out = os.path.join(header_dir, entry + "_" + mode)
            cmd = [spore_run, model, entry, "--cache-dir", cache, "--out", out] + args
            if mode == "eager":
                cmd.insert(1, "--eager")
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                outs = None
                print("FAIL %s.%s (%s): %s" % (name, entry, mode, proc.stderr.strip()))
                break
            outs[mode] = [np.load(os.path.join(out, f)) for f in
                          sorted(os.listdir(out), key=lambda s: int(s.split(".")[-2]))]
        if outs is None:
            failures += 1
            continue
        bad = None
        for k, (c, e) in enumerate(zip(outs["compiled"], outs["eager"])):
            if c.dtype.kind == "f":
                c64, e64 = c.astype(np.float64), e.astype(np.float64)
                same = (c64 == e64) | (np.isnan(c64) & np.isnan(e64))
                diff = np.where(same, 0.0, np.abs(c64 - e64) /
                                np.maximum(np.abs(e64), 1.0))
                err = float(np.max(diff)) if c.size else 0.0
                if not err <= 1e-3:
                    bad = "result %d: relative error %.3g" % (k, err)
            elif not np.array_equal(c, e):
                bad = "result %d: %s vs %s" % (k, c.ravel()[:6], e.ravel()[:6])
        print(("PASS " if not bad else "FAIL ") + "%s.%s" % (name, entry) +
              ("" if not bad else ": " + bad))
        failures += bad is not None
print("%d failed" % failures)
sys.exit(1 if failures else 0)
