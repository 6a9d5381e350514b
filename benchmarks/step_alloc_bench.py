#!/usr/bin/env python3
"""What a training step allocates (training.md §1: "a training step
allocates nothing of the size of the state per call").

The step is the Fashion-MNIST MLP (784-256-10, batch 128) trained by Adam,
whose state (Parameters, two moments each and the step counter) is kept
in the state object. After a few warm-up steps, it counts over N steps
the heap buffers that compiled code asks the runtime for (intermediates
beyond the stack budget: activations, gradients) and, of them, those the
runtime's buffer cache could not serve and that came from the system
(spore_buffer_counts_get). The new Parameters and moments are written
into the state's spare buffers, allocated at the first step only.

Usage: step_alloc_bench.py SPOREC [--steps N] [--workdir DIR]
"""
import argparse
import ctypes
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_model import compile_model, mlp_adam_source  # noqa: E402

SOURCE = mlp_adam_source("train_step", (784,))


class Counts(ctypes.Structure):
    _fields_ = [("buffers", ctypes.c_uint64), ("bytes", ctypes.c_uint64),
                ("system_buffers", ctypes.c_uint64),
                ("system_bytes", ctypes.c_uint64)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sporec")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    work = args.workdir or tempfile.mkdtemp(prefix="spore-alloc-")
    os.makedirs(work, exist_ok=True)
    lib = compile_model(args.sporec, work, "alloc", SOURCE)
    P = ctypes.c_void_p
    lib.spore_buffer_counts_get.argtypes = [ctypes.POINTER(Counts)]
    state = P()
    assert lib.alloc_state_create(ctypes.byref(state), None) == 0
    assert lib.alloc_state_init(state, 1) == 0
    saved = os.path.join(work, "state.npz")
    assert lib.alloc_state_save(state, saved.encode()) == 0
    with np.load(saved) as z:
        state_bytes = sum(z[k].nbytes for k in z.files)
        param_bytes = sum(z[k].nbytes for k in z.files
                          if k.startswith("net."))

    rng = np.random.default_rng(0)
    x = rng.random((128, 784), dtype=np.float32)
    y = rng.integers(0, 10, 128).astype(np.int32)
    loss = np.zeros((), np.float32)
    xp, yp, lp = (a.ctypes.data_as(P) for a in (x, y, loss))

    def step():
        rc = lib.alloc_train_step(state, xp, yp, lp)
        assert rc == 0, rc

    for _ in range(3):
        step()
    before, after = Counts(), Counts()
    lib.spore_buffer_counts_get(ctypes.byref(before))
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - start
    lib.spore_buffer_counts_get(ctypes.byref(after))
    n = args.steps
    buffers = (after.buffers - before.buffers) / n
    bytes_ = (after.bytes - before.bytes) / n
    system = (after.system_buffers - before.system_buffers) / n
    system_bytes = (after.system_bytes - before.system_bytes) / n
    print("step: MLP 784-256-10, batch 128, Adam; %d steps after 3 warm-up"
          % n)
    print("state: %.0f KiB (Parameters %.0f KiB, the rest Adam's moments "
          "and step)" % (state_bytes / 1024, param_bytes / 1024))
    print("per step: %.1f heap buffers asked for (%.0f KiB: activations and "
          "gradients), %.2f from the system (%.0f KiB); %.3f ms"
          % (buffers, bytes_ / 1024, system, system_bytes / 1024,
             1e3 * seconds / n))
    print("loss after %d steps: %.4f" % (n + 3, float(loss)))
    lib.alloc_state_destroy(state)
    if system_bytes >= param_bytes:
        sys.exit("FAIL: a step takes %.0f KiB from the system, the state's "
                 "Parameters are %.0f KiB" % (system_bytes / 1024,
                                              param_bytes / 1024))


if __name__ == "__main__":
    main()
