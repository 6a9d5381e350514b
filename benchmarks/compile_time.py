#!/usr/bin/env python3
"""Compile time of the benchmark models: sporec -O2 on each model in
benchmarks/models, the median of N runs, next to the target (3 s for the
300-line CNN + transformer model on this 2-core machine).

Usage: compile_time.py SPOREC [--runs N] [--workdir DIR]
"""
import argparse
import glob
import os
import statistics
import subprocess
import tempfile
import time

TARGET_SECONDS = 3.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sporec")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    workdir = args.workdir or tempfile.mkdtemp(prefix="spore-compile-")
    os.makedirs(workdir, exist_ok=True)
    here = os.path.dirname(os.path.abspath(__file__))
    print("%-28s %6s %10s %8s" % ("model", "lines", "median s", "target"))
    for model in sorted(glob.glob(os.path.join(here, "models", "*.py"))):
        lines = sum(1 for _ in open(model))
        out = os.path.join(workdir, os.path.basename(model)[:-3] + ".o")
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            subprocess.run([args.sporec, model, "-O2", "-o", out], check=True)
            times.append(time.perf_counter() - start)
        print("%-28s %6d %10.2f %8.1f" % (os.path.basename(model), lines,
                                          statistics.median(times),
                                          TARGET_SECONDS))


if __name__ == "__main__":
    main()
