#!/usr/bin/env python3
"""spore-run end to end: run examples/mlp/mlp.py's predict and a model with
a tuple result on random .npy inputs, compare the written ENTRY.<i>.npy
files with NumPy, and check that a second run reuses the cached build while
a changed model is rebuilt.

Usage: check_spore_run.py SPORE_RUN MLP_PY WORKDIR
"""
import os
import shutil
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import close, mlp  # noqa: E402

spore_run, mlp_py, workdir = sys.argv[1:4]
shutil.rmtree(workdir, ignore_errors=True)
os.makedirs(workdir)
cache = os.path.join(workdir, "cache")
rng = np.random.default_rng(11)
failures = 0


def check(name, ok, why=""):
    global failures
    print("%s %s" % ("PASS" if ok else "FAIL", name) + ("" if ok else ": " + why))
    failures += 0 if ok else 1


def run(model, entry, arrays, out, one_flag=False):
    """Runs spore-run -v and returns its stderr (the cache report). With
    `one_flag`, every binding follows a single --input, as the README
    writes it."""
    args = [spore_run, model, entry, "-v", "--cache-dir", cache, "--out", out]
    for k, (name, a) in enumerate(arrays.items()):
        path = os.path.join(workdir, name + ".npy")
        np.save(path, a)
        args += ([] if one_flag and k else ["--input"]) + [
            "%s=%s" % (name, path)]
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit("spore-run failed:\n" + proc.stderr)
    return proc.stderr


# The README's model through spore-run; the output folder is created.
shapes = {"w1": (784, 256), "b1": (256,), "w2": (256, 10), "b2": (10,),
          "x": (64, 784)}
arrays = {k: (rng.standard_normal(s) * 0.1).astype(np.float32)
          for k, s in shapes.items()}
out = os.path.join(workdir, "out", "nested")
first = run(mlp_py, "predict", arrays, out)
got = np.load(os.path.join(out, "predict.0.npy"))
ok, why = close(got, mlp(*[a.astype(np.float64) for a in arrays.values()]))
check("mlp predict", ok and got.dtype == np.float32, why or str(got.dtype))
check("first run compiles", "compiled" in first, first)
second = run(mlp_py, "predict", arrays, out)
check("second run reuses the cache", "reusing" in second, second)
check("one library in the cache", len(os.listdir(cache)) == 1,
      str(os.listdir(cache)))

# Tuple results are flattened into ENTRY.0.npy, ENTRY.1.npy, ...; inputs
# may be given in any order.
model = os.path.join(workdir, "pair.py")
with open(model, "w") as f:
    f.write("@export\n"
            "def stats(x: f64[5, 3], k: i32) -> tuple[f64[3], i32, f64]:\n"
            "    return x.mean(axis=0), k * 2, (x * x).sum()\n")
x = rng.standard_normal((5, 3))
arrays = {"k": np.int32(21), "x": x}
run(model, "stats", arrays, workdir, one_flag=True)
outs = [np.load(os.path.join(workdir, "stats.%d.npy" % i)) for i in range(3)]
check("tuple result 0", *close(outs[0], x.mean(axis=0)))
check("tuple result 1", outs[1].dtype == np.int32 and outs[1].shape == ()
      and int(outs[1]) == 42, repr(outs[1]))
check("tuple result 2", *close(outs[2], (x * x).sum()))
check("no stray outputs",
      not os.path.exists(os.path.join(workdir, "stats.3.npy")))

# Editing the model rebuilds it.
with open(model, "a") as f:
    f.write("\n\n@export\ndef other(x: f32) -> f32:\n    return x\n")
third = run(model, "stats", arrays, workdir)
check("a changed model is rebuilt", "compiled" in third, third)

print("%d failed" % failures)
sys.exit(1 if failures else 0)
