#!/usr/bin/env python3
"""Data pipeline benchmark (training.md §2): epochs of a compiled training
step on Fashion-MNIST fed by the runtime's loader (IDX files read once,
shuffled per epoch, prefetched on oneTBB), and through the Trainer,
against the same steps on batches gathered beforehand in memory. Target:
pipeline / preloaded <= 1.05.

The step is the real one: an MLP (784-256-10, batch 128) trained by Adam,
its state updated in place. This script compiles it and runs the C++
driver (data_bench.cpp, built as build/bin/spore-data-bench), so that
the timed loop has no interpreter in it. Needs Debian's
dataset-fashion-mnist (scripts/setup installs it).

Usage: data_bench.py SPOREC DATA_BENCH [--rounds N] [--workdir DIR]
"""
import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_model import DATA, mlp_adam_source  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sporec")
    parser.add_argument("driver", help="build/bin/spore-data-bench")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    if not os.path.exists(DATA + "train-images-idx3-ubyte.gz"):
        print("skipped: %s is missing (apt-get install dataset-fashion-mnist)"
              % DATA)
        return
    workdir = args.workdir or tempfile.mkdtemp(prefix="spore-data-")
    os.makedirs(workdir, exist_ok=True)
    src = os.path.join(workdir, "step.py")
    lib = os.path.join(workdir, "libstep.so")
    with open(src, "w") as f:
        f.write(mlp_adam_source("step", (28, 28)))
    subprocess.run([args.sporec, src, "--shared", "-o", lib], check=True)
    sys.exit(subprocess.run([args.driver, lib, DATA, str(args.rounds)])
             .returncode)


if __name__ == "__main__":
    main()
