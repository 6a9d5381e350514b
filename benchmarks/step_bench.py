#!/usr/bin/env python3
"""A training step side by side with PyTorch (issue 12): MLP-S
(784-1024-1024-10, ReLU, softmax cross-entropy) trained by SGD (lr 0.01),
one step = value_and_grad of the loss plus the update of the Parameters in
place, at batch 256 and batch 16.

Spore: a Cell model compiled by `sporec --shared` (-O2), its state updated
by the compiled step, on every core (SPORE_NUM_THREADS unset; the count is
printed). PyTorch: the peer at its best, in its own process with
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment, timed
with torch.set_num_threads(1) and with every core, the faster kept; the
BLAS it loaded is printed. Both start from the same Parameters and take
the same batches; the losses of the first steps are compared before
anything is timed, so both do the same work. Prints the median
milliseconds per step over alternating rounds and PyTorch's time over
Spore's (higher is better) next to the target.

Usage: step_bench.py SPOREC [--batches 16,256] [--steps N] [--rounds R]
                     [--workdir DIR]
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
from fashion_model import compile_model  # noqa: E402

# The speed over PyTorch each batch size should reach (issue 12).
TARGETS = {256: 1.15, 16: 3.0}

SOURCE = '''from spore import *


class MLP(Cell):
    def __init__(self):
        self.fc1 = Dense(784, 1024)
        self.fc2 = Dense(1024, 1024)
        self.fc3 = Dense(1024, 10)

    def __call__(self, x):
        return self.fc3(relu(self.fc2(relu(self.fc1(x)))))


net = MLP()
opt = SGD(net, lr=0.01)


@export
def step(x: f32[%d, 784], y: i32[%d]) -> f32:
    loss, g = value_and_grad(lambda: cross_entropy(net(x), y),
                             wrt=net.parameters)()
    opt.update(g)
    return loss
'''

# The PyTorch side: the same steps from the same Parameters; prints the
# first losses, then the median ms per step of each round.
TORCH = r"""
import json, sys, time
import numpy as np
import torch
args = json.loads(sys.argv[1])
torch.set_num_threads(args["threads"])
z = np.load(args["data"])
init = np.load(args["init"])
layers = [torch.nn.Linear(784, 1024), torch.nn.Linear(1024, 1024),
          torch.nn.Linear(1024, 10)]
with torch.no_grad():
    for i, layer in enumerate(layers):
        layer.weight.copy_(torch.tensor(init["net.fc%d.weight" % (i + 1)].T))
        layer.bias.copy_(torch.tensor(init["net.fc%d.bias" % (i + 1)]))
net = torch.nn.Sequential(layers[0], torch.nn.ReLU(), layers[1],
                          torch.nn.ReLU(), layers[2])
opt = torch.optim.SGD(net.parameters(), lr=0.01)
loss_fn = torch.nn.CrossEntropyLoss()
batches = [(torch.tensor(x), torch.tensor(y).long())
           for x, y in zip(z["x"], z["y"])]
def step(x, y):
    opt.zero_grad()
    loss = loss_fn(net(x), y)
    loss.backward()
    opt.step()
    return loss
losses = [step(x, y).item() for x, y in batches]
rounds = []
for r in range(args["rounds"]):
    times = []
    for i in range(args["steps"]):
        x, y = batches[i % len(batches)]
        start = time.perf_counter()
        step(x, y)
        times.append(time.perf_counter() - start)
    rounds.append(1e3 * float(np.median(times)))
blas = sorted({line.split()[-1] for line in open("/proc/self/maps")
               if "blas" in line.lower() and line.split()[-1].startswith("/")})
print(json.dumps({"losses": losses, "rounds": rounds,
                  "threads": torch.get_num_threads(), "blas": blas}))
"""


def compile_step(sporec, workdir, batch):
    """The step for `batch`, compiled and loaded, with its state made and
    initialised, and the initial Parameters saved to init.npz."""
    name = "step%d" % batch
    lib = compile_model(sporec, workdir, name, SOURCE % (batch, batch))
    P = ctypes.c_void_p
    lib[name + "_step"].argtypes = [P, P, P, P]
    state = P()
    assert lib[name + "_state_create"](ctypes.byref(state), None) == 0
    assert lib[name + "_state_init"](state, 1) == 0
    init = os.path.join(workdir, name + "_init.npz")
    assert lib[name + "_state_save"](state, init.encode()) == 0
    return lib, name, state, init


def run_torch(data, init, threads, steps, rounds):
    env = dict(os.environ)
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        env.pop(var, None)
    proc = subprocess.run(
        [sys.executable, "-c", TORCH,
         json.dumps({"data": data, "init": init, "threads": threads,
                     "steps": steps, "rounds": rounds})],
        capture_output=True, text=True, env=env)
    if proc.returncode:
        return None, proc.stderr.strip().splitlines()[-1]
    return json.loads(proc.stdout.strip().splitlines()[-1]), None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sporec")
    ap.add_argument("--batches", default="256,16")
    ap.add_argument("--steps", type=int, default=50,
                    help="timed steps per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    work = args.workdir or tempfile.mkdtemp(prefix="spore-step-")
    os.makedirs(work, exist_ok=True)
    cores = len(os.sched_getaffinity(0))
    rows = []
    for batch in [int(b) for b in args.batches.split(",")]:
        rng = np.random.default_rng(batch)
        xs = rng.standard_normal((4, batch, 784)).astype(np.float32)
        ys = rng.integers(0, 10, (4, batch)).astype(np.int32)
        data = os.path.join(work, "batches%d.npz" % batch)
        np.savez(data, x=xs, y=ys)
        lib, name, state, init = compile_step(args.sporec, work, batch)
        P = ctypes.c_void_p
        loss = np.zeros((), np.float32)
        step = lib[name + "_step"]
        ptrs = [(x.ctypes.data_as(P), y.ctypes.data_as(P))
                for x, y in zip(xs, ys)]
        lp = loss.ctypes.data_as(P)

        def spore_step(i):
            if step(state, ptrs[i % len(ptrs)][0], ptrs[i % len(ptrs)][1],
                    lp) != 0:
                sys.exit("FAIL: the step returned an error")

        losses = []
        for i in range(len(ptrs)):
            spore_step(i)
            losses.append(float(loss))
        spore_rounds, torch_runs, torch_error = [], {1: [], cores: []}, None
        for r in range(args.rounds):
            times = []
            for i in range(args.steps):
                start = time.perf_counter()
                spore_step(i)
                times.append(time.perf_counter() - start)
            spore_rounds.append(1e3 * float(np.median(times)))
            for threads in sorted(torch_runs):
                result, torch_error = run_torch(data, init, threads,
                                                args.steps, 1)
                if result is None:
                    break
                if not np.allclose(losses, result["losses"], rtol=1e-3,
                                   atol=1e-4):
                    sys.exit("FAIL: batch %d: the first losses differ: "
                             "Spore %s, PyTorch %s"
                             % (batch, losses, result["losses"]))
                torch_runs[threads].append(result)
        lib[name + "_state_destroy"](state)
        spore_ms = float(np.median(spore_rounds))
        torch_ms, torch_threads, blas = None, None, ""
        for threads, results in torch_runs.items():
            if results:
                ms = float(np.median([x["rounds"][0] for x in results]))
                if torch_ms is None or ms < torch_ms:
                    torch_ms, torch_threads = ms, threads
                    loaded = results[0]["blas"]
                    libraries = [b for b in loaded
                                 if "openblas" in os.path.basename(b)]
                    blas = ", ".join(libraries or loaded) or "none"
        rows.append((batch, spore_ms, lib.spore_num_threads(), torch_ms,
                     torch_threads, blas))
        if torch_error:
            print("PyTorch: not run (%s)" % torch_error)
    print("MLP-S 784-1024-1024-10 training step (value_and_grad + SGD), "
          "ms per step, medians of %d rounds of %d steps" %
          (args.rounds, args.steps))
    print("%-6s %10s %12s %8s %8s" % ("batch", "Spore", "PyTorch", "speed",
                                       "target"))
    for batch, spore_ms, spore_threads, torch_ms, torch_threads, blas in rows:
        if torch_ms is None:
            print("%-6d %7.3f (%d) %12s" % (batch, spore_ms, spore_threads,
                                           "-"))
            continue
        print("%-6d %7.3f (%d) %8.3f (%d) %7.2fx %7.2fx   PyTorch BLAS: %s" %
              (batch, spore_ms, spore_threads, torch_ms, torch_threads,
               torch_ms / spore_ms, TARGETS.get(batch, float("nan")), blas))
    print("(threads in parentheses; speed = PyTorch's ms over Spore's)")


if __name__ == "__main__":
    main()
