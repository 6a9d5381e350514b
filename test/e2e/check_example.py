#!/usr/bin/env python3
"""The README's example as a C program: mlp_demo (main.c + mlp.o from sporec
+ libspore_runtime) on random .npy inputs must match NumPy within 1e-5.

Usage: check_example.py MLP_DEMO WORKDIR
"""
import os
import subprocess
import sys

import numpy as np

demo, workdir = sys.argv[1], sys.argv[2]
os.makedirs(workdir, exist_ok=True)
rng = np.random.default_rng(7)
shapes = {"w1": (784, 256), "b1": (256,), "w2": (256, 10), "b2": (10,),
          "x": (64, 784)}
arrays = {k: (rng.standard_normal(s) * 0.1).astype(np.float32)
          for k, s in shapes.items()}
for k, a in arrays.items():
    np.save(os.path.join(workdir, k + ".npy"), a)
out = os.path.join(workdir, "out.npy")
subprocess.run([demo, workdir, out], check=True)
got = np.load(out)
a = {k: v.astype(np.float64) for k, v in arrays.items()}
h = np.maximum(a["x"] @ a["w1"] + a["b1"], 0)
z = h @ a["w2"] + a["b2"]
e = np.exp(z - z.max(axis=1, keepdims=True))
want = e / e.sum(axis=1, keepdims=True)
err = float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1.0)))
ok = got.shape == want.shape and err <= 1e-5
print("%s example mlp: max relative error %.3g" % ("PASS" if ok else "FAIL", err))
print("%d passed, %d failed" % (int(ok), int(not ok)))
sys.exit(0 if ok else 1)
