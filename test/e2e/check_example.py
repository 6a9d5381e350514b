#!/usr/bin/env python3
"""The README's example as a C program: mlp_demo (main.c + mlp.o from sporec
+ libspore_runtime) on random .npy inputs must match NumPy within 1e-5.

Usage: check_example.py MLP_DEMO WORKDIR
"""
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import close, mlp  # noqa: E402

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
want = mlp(*[arrays[k].astype(np.float64) for k in ("w1", "b1", "w2", "b2", "x")])
ok, why = close(got, want)
print("PASS example mlp" if ok else "FAIL example mlp: " + why)
print("%d passed, %d failed" % (int(ok), int(not ok)))
sys.exit(0 if ok else 1)
