#!/usr/bin/env python3
"""The Fashion-MNIST demo (examples/fashion_mnist) trains from C++ and
saves its state: its reported test accuracy must be what NumPy computes
from the saved Parameters on Debian's test images (an independent forward
pass), and above what a model that did not learn reaches.

Usage: check_fashion_demo.py DEMO WORKDIR [EPOCHS]
"""
import gzip
import os
import re
import subprocess
import sys

import numpy as np

DEMO, WORKDIR = sys.argv[1:3]
EPOCHS = sys.argv[3] if len(sys.argv) > 3 else "2"
DATA = "/usr/share/datasets/fashion-mnist"
os.makedirs(WORKDIR, exist_ok=True)
state = os.path.join(WORKDIR, "fashion.npz")
proc = subprocess.run([DEMO, DATA, EPOCHS, state], capture_output=True,
                      text=True)
print(proc.stdout, end="")
if proc.returncode != 0:
    sys.exit("FAIL: the demo failed:\n" + proc.stderr)
reported = float(re.findall(r"^test accuracy (\d\.\d+)$", proc.stdout,
                            re.M)[-1])


def idx(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big")
             for i in range(dims)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


x = idx("t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255
y = idx("t10k-labels-idx1-ubyte.gz")
with np.load(state) as p:
    h = np.maximum(x @ p["net.fc1.weight"] + p["net.fc1.bias"], 0)
    logits = h @ p["net.fc2.weight"] + p["net.fc2.bias"]
numpy_accuracy = float(np.mean(np.argmax(logits, axis=1) == y))
print("NumPy on the saved state: test accuracy %.4f" % numpy_accuracy)
if abs(numpy_accuracy - reported) > 1e-4:
    sys.exit("FAIL: the demo reported %.4f, NumPy computes %.4f" %
             (reported, numpy_accuracy))
if reported < 0.8:
    sys.exit("FAIL: test accuracy %.4f after %s epochs: the model did not "
             "learn" % (reported, EPOCHS))
print("PASS")
