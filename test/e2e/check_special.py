#!/usr/bin/env python3
"""lgamma, digamma, polygamma and multigammaln in f64 against mpmath (to
1e-13 relative, on a grid from 1e-3 to 1e3 and negative non-integers),
compiled and through the interpreter (`spore-run --eager`, a separate
implementation). Derivatives are checked by check_gradients.py.

Usage: check_special.py SPOREC SPORE_RUN WORKDIR
"""
import os
import subprocess
import sys

import mpmath
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import compile_shared  # noqa: E402

N = 40
SOURCE = """
@export
def special(x: f64[N], p: f64[N]) -> tuple[f64[N], f64[N], f64[N], f64[N], f64[N]]:
    return (lgamma(x), digamma(x), polygamma(1, p), polygamma(3, p),
            multigammaln(p + 2.0, 4))
""".replace("N", str(N))


def references(x, p):
    lgamma = [float(mpmath.log(abs(mpmath.gamma(v)))) for v in x]
    return [np.array(v) for v in (
        lgamma, [float(mpmath.digamma(v)) for v in x],
        [float(mpmath.polygamma(1, v)) for v in p],
        [float(mpmath.polygamma(3, v)) for v in p],
        [float(3 * mpmath.log(mpmath.pi) +
               sum(mpmath.loggamma(v + 2.0 - 0.5 * j) for j in range(4)))
         for v in p])]


def main():
    sporec, spore_run, workdir = sys.argv[1:4]
    os.makedirs(workdir, exist_ok=True)
    import ctypes
    library, src = compile_shared(sporec, SOURCE, workdir, "special")
    positive = np.geomspace(1e-3, 1e3, N - 8)
    x = np.concatenate([positive, [-0.5, -1.25, -2.75, -3.5, -7.1, -10.6,
                                   -0.01, -20.3]])
    p = np.geomspace(1e-2, 1e3, N)
    want = references(x, p)
    names = ["lgamma", "digamma", "trigamma", "polygamma(3)", "multigammaln"]
    failures = 0
    outs = [np.zeros(N) for _ in names]
    rc = library.special_special(
        *[a.ctypes.data_as(ctypes.c_void_p) for a in [x, p] + outs])
    inputs = []
    for name, a in (("x", x), ("p", p)):
        path = os.path.join(workdir, name + ".npy")
        np.save(path, a)
        inputs += ["--input", "%s=%s" % (name, path)]
    eager_dir = os.path.join(workdir, "eager")
    subprocess.run([spore_run, "--eager", src, "special", "--out",
                    eager_dir] + inputs, check=True)
    eager = [np.load(os.path.join(eager_dir, "special.%d.npy" % i))
             for i in range(len(names))]
    for name, got, ref, e in zip(names, outs, want, eager):
        scale = np.maximum(np.abs(ref), 1.0)
        err = float(np.max(np.abs(got - ref) / scale))
        err_eager = float(np.max(np.abs(e - ref) / scale))
        ok = rc == 0 and err <= 1e-13 and err_eager <= 1e-13
        print("%s %s: compiled %.2g, eager %.2g (relative to max(|ref|, 1))"
              % ("PASS" if ok else "FAIL", name, err, err_eager))
        failures += not ok
    print("%d passed, %d failed" % (len(names) - failures, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
