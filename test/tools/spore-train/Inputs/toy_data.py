"""Writes the toy regression data of the spore-train tests into a folder:
train.npz (x: f32[40, 3], y: f32[40], and an i64 field `id`), eval.npz
(10 records) and x.npy, y.npy (the training fields as .npy files)."""
import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
w = np.array([0.5, -1.0, 2.0], np.float32)
for name, n in (("train", 40), ("eval", 10)):
    x = rng.normal(size=(n, 3)).astype(np.float32)
    y = (x @ w + 0.1).astype(np.float32)
    np.savez(os.path.join(out, name + ".npz"), x=x, y=y,
             id=np.arange(n, dtype=np.int64))
    if name == "train":
        np.save(os.path.join(out, "x.npy"), x)
        np.save(os.path.join(out, "y.npy"), y)
