#!/usr/bin/env python3
"""The Fashion-MNIST demo (examples/fashion_mnist) trains from C++ with the
Trainer into a run folder: its reported test accuracy must be what NumPy
computes from the last checkpoint on Debian's test images (an independent
forward pass), and above what a model that did not learn reaches; the
run folder holds run.json, metrics.csv and a checkpoint per epoch.

Usage: check_fashion_demo.py DEMO WORKDIR [EPOCHS]
"""
import glob
import json
import os
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "benchmarks"))
from fashion_model import read_idx  # noqa: E402

DEMO, WORKDIR = sys.argv[1:3]
EPOCHS = sys.argv[3] if len(sys.argv) > 3 else "2"
DATA = "/usr/share/datasets/fashion-mnist"
run_dir = os.path.join(WORKDIR, "run")
proc = subprocess.run([DEMO, DATA, EPOCHS, run_dir], capture_output=True,
                      text=True)
print(proc.stdout, end="")
if proc.returncode != 0:
    sys.exit("FAIL: the demo failed:\n" + proc.stderr)
reported = float(re.findall(r"^test accuracy (\d\.\d+)$", proc.stdout,
                            re.M)[-1])
# The run folder: a checkpoint per epoch, the last one the final state.
checkpoints = sorted(glob.glob(os.path.join(run_dir, "checkpoints",
                                            "step-*.npz")))
if len(checkpoints) != int(EPOCHS):
    sys.exit("FAIL: %d checkpoints for %s epochs" % (len(checkpoints), EPOCHS))
with open(os.path.join(run_dir, "run.json")) as f:
    run = json.load(f)
if run["status"] != "finished" or \
        abs(run["result"]["metrics"]["accuracy"] - reported) > 1e-4:
    sys.exit("FAIL: run.json says %s" % run["result"])
with open(os.path.join(run_dir, "metrics.csv")) as f:
    header = f.readline().strip()
if header != "step,epoch,loss,samples_per_s,accuracy":
    sys.exit("FAIL: metrics.csv starts with " + header)

x = read_idx("t10k-images-idx3-ubyte.gz").reshape(-1, 784)
x = x.astype(np.float32) / 255
y = read_idx("t10k-labels-idx1-ubyte.gz")
with np.load(checkpoints[-1]) as p:
    h = np.maximum(x @ p["net.fc1.weight"] + p["net.fc1.bias"], 0)
    logits = h @ p["net.fc2.weight"] + p["net.fc2.bias"]
numpy_accuracy = float(np.mean(np.argmax(logits, axis=1) == y))
print("NumPy on the last checkpoint: test accuracy %.4f" % numpy_accuracy)
if abs(numpy_accuracy - reported) > 1e-4:
    sys.exit("FAIL: the demo reported %.4f, NumPy computes %.4f" %
             (reported, numpy_accuracy))
if reported < 0.8:
    sys.exit("FAIL: test accuracy %.4f after %s epochs: the model did not "
             "learn" % (reported, EPOCHS))
print("PASS")
