#!/usr/bin/env python3
"""Data pipeline benchmark (training.md §2): an epoch of a compiled
training step on Fashion-MNIST fed by the runtime's loader (IDX files
read once, shuffled per epoch, prefetched on oneTBB) against the same
steps on batches prepared beforehand in memory. Target: pipeline /
preloaded <= 1.05.

The step is the real one: an MLP (784-256-10, batch 128) trained by Adam,
its state updated in place. Two pipelines: the pixels converted to f32
once in the dataset (each batch gathers 400 KB of f32), and the pixels
kept as u8 and converted per batch by Transform::convert (each batch
gathers 100 KB). Needs Debian's dataset-fashion-mnist (scripts/setup
installs it).

Usage: data_bench.py SPOREC RUNTIME_LIB [--batches N] [--workdir DIR]
"""
import argparse
import ctypes
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_model import DATA, mlp_adam_source  # noqa: E402

SOURCE = mlp_adam_source("step", (28, 28))

SPORE_F32, SPORE_I32 = 2, 6
SHUFFLE, DROP, NO_PREFETCH = 1, 2, 4


class Tensor(ctypes.Structure):
    _fields_ = [("dtype", ctypes.c_int), ("rank", ctypes.c_int32),
                ("shape", ctypes.c_int64 * 16), ("data", ctypes.c_void_p)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sporec")
    parser.add_argument("runtime")
    parser.add_argument("--batches", type=int, default=0,
                        help="steps per epoch (0: the whole epoch)")
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    if not os.path.exists(DATA + "train-images-idx3-ubyte.gz"):
        print("skipped: %s is missing (apt-get install dataset-fashion-mnist)"
              % DATA)
        return
    workdir = args.workdir or tempfile.mkdtemp(prefix="spore-data-")
    os.makedirs(workdir, exist_ok=True)
    src = os.path.join(workdir, "step.py")
    lib_path = os.path.join(workdir, "libstep.so")
    with open(src, "w") as f:
        f.write(SOURCE)
    subprocess.run([args.sporec, src, "--shared", "-o", lib_path], check=True)
    rt = ctypes.CDLL(args.runtime)
    model = ctypes.CDLL(lib_path)
    P = ctypes.c_void_p
    rt.spore_last_error.restype = ctypes.c_char_p

    def check(status):
        if status != 0:
            sys.exit("FAIL: %s" % rt.spore_last_error().decode())

    datasets, loaders = [], []  # destroyed at the end

    def idx(name, field):
        out = P()
        check(rt.spore_dataset_from_idx((DATA + name).encode(), field.encode(),
                                        ctypes.byref(out)))
        datasets.append(out)
        return out

    joined, u8, data = P(), P(), P()
    check(rt.spore_dataset_join(idx("train-images-idx3-ubyte.gz", "x"),
                                idx("train-labels-idx1-ubyte.gz", "y"),
                                ctypes.byref(joined)))
    check(rt.spore_dataset_convert(joined, b"y", SPORE_I32, ctypes.c_double(1),
                                   ctypes.c_double(0), ctypes.byref(u8)))
    check(rt.spore_dataset_convert(u8, b"x", SPORE_F32,
                                   ctypes.c_double(1 / 255.0),
                                   ctypes.c_double(0), ctypes.byref(data)))
    datasets += [joined, u8, data]

    state = P()
    model.step_state_init.argtypes = [P, ctypes.c_uint64]
    model.step_state_destroy.argtypes = [P]
    model.step_step.argtypes = [P, P, P, P]
    check(model.step_state_create(ctypes.byref(state), None))
    check(model.step_state_init(state, 1))
    loss = np.zeros((), np.float32)
    loss_ptr = loss.ctypes.data_as(P)

    def step(x_ptr, y_ptr):
        check(model.step_step(state, x_ptr, y_ptr, loss_ptr))

    def loader(flags, dataset=None, convert=False):
        l = P()
        check(rt.spore_loader_create(dataset or data, ctypes.c_int64(128),
                                     flags, ctypes.c_uint64(1),
                                     ctypes.byref(l)))
        if convert:
            check(rt.spore_loader_convert(l, b"x", SPORE_F32,
                                          ctypes.c_double(1 / 255.0),
                                          ctypes.c_double(0)))
        loaders.append(l)
        return l

    view = Tensor()
    total = rt.spore_loader_batches
    total.restype = ctypes.c_int64

    def epoch(l, e):
        """Steps over epoch e of loader l; returns seconds and steps."""
        valid = ctypes.c_int64()
        check(rt.spore_loader_start_epoch(l, ctypes.c_int64(e)))
        steps = 0
        start = time.perf_counter()
        while args.batches == 0 or steps < args.batches:
            check(rt.spore_loader_next(l, ctypes.byref(valid)))
            if valid.value == 0:
                break
            check(rt.spore_loader_field(l, 0, None, ctypes.byref(view)))
            # As pointers: ctypes passes a bare int as a 32-bit C int.
            x = P(view.data)
            check(rt.spore_loader_field(l, 1, None, ctypes.byref(view)))
            step(x, P(view.data))
            steps += 1
        return time.perf_counter() - start, steps

    # Preloaded: the same batches, copied out beforehand.
    pre = loader(SHUFFLE | DROP | NO_PREFETCH)
    batches = []
    valid = ctypes.c_int64()
    check(rt.spore_loader_start_epoch(pre, ctypes.c_int64(0)))
    while args.batches == 0 or len(batches) < args.batches:
        check(rt.spore_loader_next(pre, ctypes.byref(valid)))
        if valid.value == 0:
            break
        pair = []
        for i, (dtype, shape) in enumerate([(np.float32, (128, 28, 28)),
                                            (np.int32, (128,))]):
            check(rt.spore_loader_field(pre, i, None, ctypes.byref(view)))
            pair.append(np.ctypeslib.as_array(
                ctypes.cast(view.data, ctypes.POINTER(
                    ctypes.c_float if dtype == np.float32 else ctypes.c_int32)),
                shape).copy())
        batches.append(pair)
    ptrs = [(x.ctypes.data_as(P), y.ctypes.data_as(P)) for x, y in batches]

    def preloaded():
        start = time.perf_counter()
        for x, y in ptrs:
            step(x, y)
        return time.perf_counter() - start

    pipelines = {
        "pipeline, f32 dataset": loader(SHUFFLE | DROP),
        "pipeline, u8 + convert": loader(SHUFFLE | DROP, u8, True),
        "f32, no prefetch": loader(SHUFFLE | DROP | NO_PREFETCH),
    }
    preloaded()  # warm up
    times = {"preloaded": []}
    times.update({name: [] for name in pipelines})
    for e in range(3):
        times["preloaded"].append(preloaded())
        for name, l in pipelines.items():
            times[name].append(epoch(l, e)[0])
    base = min(times["preloaded"])
    print("Fashion-MNIST, %d steps of batch 128 per epoch; best of 3 epochs"
          % len(ptrs))
    for name, ts in times.items():
        print("%-22s %8.1f ms  %.3fx" % (name, 1e3 * min(ts), min(ts) / base))
    model.step_state_destroy(state)
    for l in loaders:
        rt.spore_loader_destroy(l)
    for d in datasets:
        rt.spore_dataset_destroy(d)


if __name__ == "__main__":
    main()
