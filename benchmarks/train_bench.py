#!/usr/bin/env python3
"""Training throughput on Fashion-MNIST, side by side with PyTorch
(training.md; the training issue's throughput item).

Both sides train the same MLP (784-256-10, ReLU, cross-entropy, Adam with
lr 1e-3, batch 128) on the same preloaded batches of Debian's
Fashion-MNIST, from the same initial Parameters, and report samples per
second over an epoch (best of N). Spore: the compiled train_step, its
state (Parameters and Adam's moments) updated in place. PyTorch 1.13: the
peer at its best on this machine, torch.set_num_threads(1) with OpenBLAS
on both cores (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for its
process only). The losses of the first steps are compared, so both do the
same work.

Usage: train_bench.py SPOREC [--epochs N] [--steps N] [--workdir DIR]
"""
import argparse
import ctypes
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_model import (DATA, compile_model, mlp_adam_source,  # noqa: E402
                           read_idx)

OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-pthread"

SOURCE = mlp_adam_source("train_step", (784,))

# The PyTorch side runs in its own process, with its own environment.
TORCH = r"""
import json, sys, time
import numpy as np
import torch
torch.set_num_threads(1)
args = json.loads(sys.argv[1])
z = np.load(args["data"])
xs, ys = z["x"], z["y"]
init = np.load(args["init"])
fc1, fc2 = torch.nn.Linear(784, 256), torch.nn.Linear(256, 10)
with torch.no_grad():
    fc1.weight.copy_(torch.tensor(init["net.fc1.weight"].T))
    fc1.bias.copy_(torch.tensor(init["net.fc1.bias"]))
    fc2.weight.copy_(torch.tensor(init["net.fc2.weight"].T))
    fc2.bias.copy_(torch.tensor(init["net.fc2.bias"]))
net = torch.nn.Sequential(fc1, torch.nn.ReLU(), fc2)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
loss_fn = torch.nn.CrossEntropyLoss()
batches = [(torch.tensor(x), torch.tensor(y).long()) for x, y in zip(xs, ys)]
losses, best = [], None
for epoch in range(args["epochs"]):
    start = time.perf_counter()
    for x, y in batches:
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        if epoch == 0 and len(losses) < 5:
            losses.append(loss.item())
    t = time.perf_counter() - start
    best = t if best is None else min(best, t)
# The BLAS library this process really loaded.
blas = sorted({line.split()[-1] for line in open("/proc/self/maps")
               if "blas" in line.lower() and line.split()[-1].startswith("/")})
print(json.dumps({"seconds": best, "losses": losses,
                  "threads": torch.get_num_threads(), "blas": blas}))
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sporec")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--steps", type=int, default=0,
                    help="steps per epoch (0: the whole epoch)")
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    if not os.path.exists(DATA + "train-images-idx3-ubyte.gz"):
        print("skipped: %s is missing (scripts/setup installs "
              "dataset-fashion-mnist)" % DATA)
        return
    work = args.workdir or tempfile.mkdtemp(prefix="spore-train-")
    os.makedirs(work, exist_ok=True)

    # The batches, shuffled once, as both sides take them.
    x = read_idx("train-images-idx3-ubyte.gz").reshape(-1, 784)
    y = read_idx("train-labels-idx1-ubyte.gz")
    order = np.random.default_rng(0).permutation(len(y))
    n = len(y) // 128 if args.steps == 0 else args.steps
    xs = (x[order[:n * 128]].astype(np.float32) / 255).reshape(n, 128, 784)
    ys = y[order[:n * 128]].astype(np.int32).reshape(n, 128)
    data = os.path.join(work, "batches.npz")
    np.savez(data, x=xs, y=ys)

    lib = compile_model(args.sporec, work, "train", SOURCE)
    P = ctypes.c_void_p
    state = P()
    assert lib.train_state_create(ctypes.byref(state), None) == 0
    assert lib.train_state_init(state, 1) == 0
    init = os.path.join(work, "init.npz")
    assert lib.train_state_save(state, init.encode()) == 0

    loss = np.zeros((), np.float32)
    ptrs = [(a.ctypes.data_as(P), b.ctypes.data_as(P)) for a, b in zip(xs, ys)]
    lp = loss.ctypes.data_as(P)
    losses, best = [], None
    for epoch in range(args.epochs):
        start = time.perf_counter()
        for xp, yp in ptrs:
            assert lib.train_train_step(state, xp, yp, lp) == 0
            if epoch == 0 and len(losses) < 5:
                losses.append(float(loss))
        t = time.perf_counter() - start
        best = t if best is None else min(best, t)
    lib.train_state_destroy(state)

    # PyTorch with OpenBLAS (if installed) for its process only.
    env = dict(os.environ)
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        env.pop(var, None)
    blas = "the system's libblas.so.3"
    if os.path.isdir(OPENBLAS):
        env["LD_LIBRARY_PATH"] = OPENBLAS + (
            ":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
        env["OPENBLAS_NUM_THREADS"] = str(os.cpu_count())
        blas = "OpenBLAS (%s, %d threads)" % (OPENBLAS, os.cpu_count())
    proc = subprocess.run(
        [sys.executable, "-c", TORCH,
         json.dumps({"data": data, "init": init, "epochs": args.epochs})],
        capture_output=True, text=True, env=env)
    if proc.returncode:
        print("PyTorch: not run (%s)" % proc.stderr.strip().splitlines()[-1])
        torch = None
    else:
        torch = json.loads(proc.stdout.strip().splitlines()[-1])
        if not np.allclose(losses, torch["losses"], rtol=1e-4, atol=1e-5):
            sys.exit("FAIL: the first losses differ: Spore %s, PyTorch %s"
                     % (losses, torch["losses"]))
    samples = n * 128
    print("Fashion-MNIST MLP 784-256-10, Adam, batch 128, %d steps per epoch;"
          " best of %d epochs" % (n, args.epochs))
    print("Spore  : %9.0f samples/s  (%.1f ms per epoch; one thread)"
          % (samples / best, 1e3 * best))
    if torch:
        print("PyTorch: %9.0f samples/s  (%.1f ms per epoch; "
              "torch.set_num_threads(%d), BLAS: %s; loaded: %s)"
              % (samples / torch["seconds"], 1e3 * torch["seconds"],
                 torch["threads"], blas, ", ".join(torch["blas"]) or "none"))
        print("ratio (Spore samples/s over PyTorch's): %.2f"
              % (torch["seconds"] / best))


if __name__ == "__main__":
    main()
