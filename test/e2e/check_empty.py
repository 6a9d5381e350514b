#!/usr/bin/env python3
"""Size-zero dimensions are valid everywhere, with NumPy's semantics: as
parameters and results of exports (f32[2, 0], where the zero is not the
leading dimension), in reductions, and as Parameters of the state.
Compiled (spore-run) and eager results are compared with NumPy.

Usage: check_empty.py SPORE_RUN WORKDIR
"""
import os
import subprocess
import sys

import numpy as np

SOURCE = """
class M(Cell):
    def __init__(self):
        self.w = Parameter(zeros((3, 0)))

    def __call__(self, x):
        return x * 2.0 + sum(self.w)


net = M()


@export
def f(x: f32[2, 0], y: f32[3]) -> tuple[f32[2, 0], f32, f32[3], f32[0, 3]]:
    return x * 2.0, sum(x), net(y), zeros((0, 3))
"""


def main():
    spore_run, workdir = sys.argv[1:3]
    os.makedirs(workdir, exist_ok=True)
    model = os.path.join(workdir, "empty.py")
    with open(model, "w") as f:
        f.write(SOURCE)
    x = np.zeros((2, 0), np.float32)
    y = np.arange(3, dtype=np.float32)
    for name, a in (("x", x), ("y", y)):
        np.save(os.path.join(workdir, name + ".npy"), a)
    want = [x * 2, np.float32(x.sum()), y * 2 + 0, np.zeros((0, 3), np.float32)]
    failures = 0
    for mode in ("compiled", "eager"):
        out = os.path.join(workdir, mode)
        cmd = [spore_run, model, "f", "--init-state", "1", "--out", out,
               "--input", "x=" + os.path.join(workdir, "x.npy"),
               "y=" + os.path.join(workdir, "y.npy")]
        if mode == "eager":
            cmd.insert(1, "--eager")
        proc = subprocess.run(cmd, capture_output=True, text=True)
        ok = proc.returncode == 0
        why = proc.stderr.strip()
        if ok:
            got = [np.load(os.path.join(out, "f.%d.npy" % i)) for i in range(4)]
            ok = all(g.shape == np.shape(w) and g.dtype == np.float32 and
                     np.array_equal(g, w) for g, w in zip(got, want))
            why = "got %s" % [(g.shape, g.tolist()) for g in got]
        print(("PASS " if ok else "FAIL ") + mode + ("" if ok else ": " + why))
        failures += not ok
    print("%d passed, %d failed" % (2 - failures, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
