#!/usr/bin/env python3
"""Side-by-side CPU benchmarks: each workload compiled by sporec (--shared,
-O2) and called through its C entry point, against the same computation in
NumPy on the same inputs. Prints milliseconds per call and the ratio
spore/NumPy (lower is better) next to the target ratio of TARGETS.

Every result is checked against NumPy before it is timed, so no workload can
be fast by skipping its work. Timings are for reading, not for asserting:
the tests run this script with --iterations 1 only to keep it working.

Usage: bench.py SPOREC [--iterations N] [--workdir DIR] [--only NAME]
"""
import argparse
import ctypes
import os
import subprocess
import sys
import tempfile
import textwrap
import time

# NumPy at its best: OpenBLAS chooses its own kernel and cache sizes (the
# overrides are dropped before it loads; Spore reads neither).
for _name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_name, None)

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "test", "e2e"))
from reference import close, mlp, softmax  # noqa: E402

# name: (source, export, input shapes (all f32), NumPy reference, target)
WORKLOADS = {
    "mlp_predict": ("""
        @export
        def f(w1: f32[784, 256], b1: f32[256], w2: f32[256, 10], b2: f32[10],
              x: f32[64, 784]) -> f32[64, 10]:
            return softmax(relu(x @ w1 + b1) @ w2 + b2, axis=-1)
        """, "f", [(784, 256), (256,), (256, 10), (10,), (64, 784)], mlp, 1.0),
    "matmul_256": ("""
        @export
        def f(a: f32[256, 256], b: f32[256, 256]) -> f32[256, 256]:
            return a @ b
        """, "f", [(256, 256), (256, 256)], lambda a, b: a @ b, 1.0),
    "elementwise_1m": ("""
        @export
        def f(x: f32[1024, 1024], y: f32[1024]) -> f32[1024, 1024]:
            return tanh(x) * y + exp(-x * x)
        """, "f", [(1024, 1024), (1024,)],
        lambda x, y: np.tanh(x) * y + np.exp(-x * x), 1.0),
    "softmax_512x1000": ("""
        @export
        def f(x: f32[512, 1000]) -> f32[512, 1000]:
            return softmax(x, axis=-1)
        """, "f", [(512, 1000)], lambda x: softmax(x, axis=-1), 1.0),
}


def per_call(fn, iterations):
    fn()  # warm-up
    start = time.perf_counter()
    for _ in range(iterations):
        fn()
    return (time.perf_counter() - start) / iterations


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sporec")
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--only", default=None)
    args = parser.parse_args()
    workdir = args.workdir or tempfile.mkdtemp(prefix="spore-bench-")
    os.makedirs(workdir, exist_ok=True)
    rng = np.random.default_rng(0)
    failures = 0
    print("NumPy %s on %s, its default threads on %d cores; Spore on "
          "SPORE_NUM_THREADS or every core"
          % (np.__version__,
             os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3"),
             len(os.sched_getaffinity(0))))
    print("%-18s %10s %10s %8s %8s" % ("workload", "spore ms", "numpy ms",
                                       "ratio", "target"))
    for name, (source, export, shapes, reference, target) in WORKLOADS.items():
        if args.only and name != args.only:
            continue
        src = os.path.join(workdir, name + ".py")
        lib = os.path.join(workdir, "lib%s.so" % name)
        with open(src, "w") as f:
            f.write(textwrap.dedent(source))
        subprocess.run([args.sporec, src, "--shared", "-O2", "-o", lib],
                       check=True)
        inputs = [(rng.standard_normal(s) * 0.1).astype(np.float32)
                  for s in shapes]
        want = reference(*[x.astype(np.float64) for x in inputs])
        out = np.zeros(want.shape, np.float32)
        fn = getattr(ctypes.CDLL(lib), "%s_%s" % (name, export))
        fn.restype = ctypes.c_int
        pointers = [a.ctypes.data_as(ctypes.c_void_p) for a in inputs + [out]]
        if fn(*pointers) != 0:
            raise SystemExit("%s: the call failed" % name)
        ok, why = close(out, want)
        if not ok:
            print("%-18s wrong result: %s" % (name, why))
            failures += 1
            continue
        spore = per_call(lambda: fn(*pointers), args.iterations)
        numpy = per_call(lambda: reference(*inputs), args.iterations)
        print("%-18s %10.3f %10.3f %8.2f %8.2f" % (name, spore * 1e3,
                                                   numpy * 1e3, spore / numpy,
                                                   target))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
