#!/usr/bin/env python3
"""Random valid programs, compiled and checked (issue: correct on every
valid program). Each program is a function of two vectors, a scalar and a
run-time trip count, built from a seeded random mix of weak literals,
primitives, outer products and matmuls, `where`, the integer trip count
mixed into float arithmetic, `if`, `for` (with `break`), `while`,
closures, lambdas passed to a higher-order function and run-time
recursion. It is exported as its value, its gradient (reverse mode) and
its jvp (forward mode), in f64 or in f32 (then with an f64 twin of the
same text); a quarter of the programs also as a second derivative (the
gradient of the gradient dotted with y, reverse over reverse), as their
Hessian in x (`hessian`: batched forward over reverse) and as their
gradient in x by `jacfwd` (batched forward mode). Checks:

- compiled values and gradients against the interpreter (`spore-run
  --eager`);
- gradients against float64 central differences of the compiled value,
  and second derivatives against central differences of the compiled
  gradient;
- jvp against the gradient dotted with the tangent;
- the Hessian times y against the second derivative, and jacfwd against
  the gradient;
- f32 programs against their f64 twin.

Programs whose value or gradient leaves [-1e6, 1e6] (or is not finite)
are replaced by the next draw. The seed is fixed, so a run is repeatable;
`--seed S --programs N` explores others.

Usage: check_generated.py SPOREC SPORE_RUN WORKDIR [--seed S] [--programs N]
"""
import argparse
import ctypes
import os
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

PRELUDE = '''from spore import *


def twice(f, z):
    return f(f(z))


def rdepth(v, m):
    if m <= 0:
        return v
    return tanh(rdepth(v, m - 1) * 0.8 + 0.1)

'''
UNARY = ["sin(%s)", "cos(%s)", "tanh(%s)", "sigmoid(%s)", "softplus(%s)",
         "exp(tanh(%s))", "log(1.0 + %s * %s)", "sqrt(1.5 + %s * %s)",
         "(%s * 0.5)", "(-%s)"]
REDUCE = ["sum(%s)", "mean(%s)", "logsumexp(%s)", "%s[1]", "%s[-1]"]
LITERAL = ["0.5", "1.25", "0.1", "sin(0.3)", "(2.0 * 0.25)", "cos(0.1)",
           "exp(-1.0)", "3"]


class Program:
    def __init__(self, rng, name):
        self.r = rng
        self.name = name
        self.vectors = ["x", "y"]
        self.scalars = ["s"]
        self.loop_vars = []
        self.count = 0
        self.lines = []

    def fresh(self, prefix):
        self.count += 1
        return "%s%d" % (prefix, self.count)

    def unary(self, e):
        u = self.r.choice(UNARY)
        return u % ((e,) * u.count("%s"))

    def vexpr(self, d):
        r = self.r.random()
        if d <= 0 or r < 0.25:
            return self.r.choice(self.vectors)
        if r < 0.5:
            return self.unary(self.vexpr(d - 1))
        if r < 0.7:
            op = self.r.choice(["+", "-", "*"])
            return "(%s %s %s)" % (self.vexpr(d - 1), op, self.vexpr(d - 1))
        if r < 0.8:
            return "(%s * %s)" % (self.vexpr(d - 1), self.sexpr(d - 1))
        if r < 0.85:
            return "(%s / (1.5 + %s * %s))" % ((self.vexpr(d - 1),) +
                                               (self.vexpr(d - 1),) * 2)
        if r < 0.88:
            return "%s[::-1]" % self.r.choice(self.vectors)
        if r < 0.91:
            return "(%s if %s else %s)" % (self.vexpr(d - 1), self.cond(),
                                           self.vexpr(d - 1))
        if r < 0.94:
            # An outer product (broadcasting) times a vector, or its
            # transpose: matmul of a matrix and a vector.
            outer = "(%s[:, None] * %s[None, :])" % (self.vexpr(d - 1),
                                                     self.vexpr(d - 1))
            if self.r.random() < 0.5:
                outer += ".T"
            return "((%s @ %s) * 0.25)" % (outer, self.vexpr(d - 1))
        if r < 0.97:
            return "where(%s > %s, %s, %s)" % (
                self.vexpr(d - 1), self.r.choice(["0.0", "0.2"] +
                                                 self.vectors),
                self.vexpr(d - 1), self.vexpr(d - 1))
        if r < 0.985:
            # The run-time i64 trip count mixed into float arithmetic.
            return "(%s * (n + 1) * 0.5)" % self.vexpr(d - 1)
        return "(%s + %s)" % (self.vexpr(d - 1), self.r.choice(LITERAL))

    def sexpr(self, d):
        r = self.r.random()
        if d <= 0 or r < 0.2:
            return self.r.choice(self.scalars)
        if r < 0.45:
            return self.r.choice(REDUCE) % self.vexpr(d - 1)
        if r < 0.6:
            return self.unary(self.sexpr(d - 1))
        if r < 0.75:
            op = self.r.choice(["+", "-", "*"])
            return "(%s %s %s)" % (self.sexpr(d - 1), op, self.sexpr(d - 1))
        if r < 0.85 and self.loop_vars:
            return "((%s + 1.0) * %s)" % (self.r.choice(self.loop_vars),
                                          self.sexpr(d - 1))
        if r < 0.92:
            return "dot(%s, %s)" % (self.vexpr(d - 1), self.vexpr(d - 1))
        return "(%s * %s)" % (self.r.choice(LITERAL), self.sexpr(d - 1))

    def cond(self):
        r = self.r.random()
        if r < 0.5:
            return "%s > %s" % (self.sexpr(1), self.r.choice(["0.1", "0.0",
                                                              "-0.2"]))
        if r < 0.7:
            return "n > %d" % self.r.randint(0, 3)
        if self.loop_vars:
            return "%s %% 2 == 0" % self.r.choice(self.loop_vars)
        return "s < 0.3"

    def emit(self, indent, text):
        self.lines.append("    " * indent + text)

    def update(self, indent, bounded):
        """Reassigns an existing variable (keeping its kind)."""
        if self.r.random() < 0.6:
            v = self.r.choice(self.vectors)
            e = self.vexpr(2)
        else:
            v = self.r.choice(self.scalars)
            e = self.sexpr(2)
        if bounded:
            e = "tanh(%s * 0.7 + %s)" % (v, e)
        r = self.r.random()
        if r < 0.1 and v in self.vectors:
            self.emit(indent, "%s[1:3] = %s" % (v, self.sexpr(1)))
        elif r < 0.2 and v in self.vectors:
            self.emit(indent, "%s[%d] += %s" % (v, self.r.randint(-4, 3),
                                                self.sexpr(1)))
        else:
            self.emit(indent, "%s = %s" % (v, e))

    def statement(self, indent, top):
        r = self.r.random()
        if r < 0.15 and top:
            v = self.fresh("a")
            self.emit(indent, "%s = %s" % (v, self.vexpr(2)))
            self.vectors.append(v)
        elif r < 0.25 and top:
            v = self.fresh("b")
            self.emit(indent, "%s = %s" % (v, self.sexpr(2)))
            self.scalars.append(v)
        elif r < 0.4:
            self.update(indent, False)
        elif r < 0.52:
            self.emit(indent, "if %s:" % self.cond())
            for _ in range(self.r.randint(1, 2)):
                self.update(indent + 1, False)
            if self.r.random() < 0.6:
                self.emit(indent, "else:")
                self.update(indent + 1, False)
        elif r < 0.64:
            i = self.fresh("i")
            bound = self.r.choice(["n", "3", "n + 1", "1, n + 2"])
            self.emit(indent, "for %s in range(%s):" % (i, bound))
            self.loop_vars.append(i)
            for _ in range(self.r.randint(1, 2)):
                self.update(indent + 1, True)
            if self.r.random() < 0.3:
                self.emit(indent + 1, "if %s:" % self.cond())
                self.emit(indent + 2, self.r.choice(["break", "continue"]))
                self.update(indent + 1, True)
            self.loop_vars.pop()
        elif r < 0.72:
            k = self.fresh("k")
            self.emit(indent, "%s = 0" % k)
            self.emit(indent, "while %s < n and %s < 3.0:" % (k, self.sexpr(1)))
            self.update(indent + 1, True)
            self.emit(indent + 1, "%s += 1" % k)
        elif r < 0.82:
            h = self.fresh("h")
            c = self.r.choice(self.scalars)
            self.emit(indent, "def %s(z):" % h)
            self.emit(indent + 1, "return %s" % self.unary("z * 0.9 + %s" % c))
            v = self.r.choice(self.vectors)
            call = self.r.choice(["%s(%s)", "twice(%s, %s)"]) % (h, v)
            self.emit(indent, "%s = %s" % (v, call))
        elif r < 0.88:
            v = self.r.choice(self.vectors)
            self.emit(indent, "%s = twice(lambda z: %s, %s)" % (
                v, self.unary("z * 0.8 + %s" % self.r.choice(LITERAL)), v))
        elif r < 0.93:
            v = self.r.choice(self.vectors)
            self.emit(indent, "%s = rdepth(%s, n)" % (v, v))
        elif top and self.r.random() < 0.4:
            self.emit(indent, "if %s:" % self.cond())
            self.emit(indent + 1, "return %s" % self.sexpr(2))
        else:
            self.update(indent, False)

    def source(self):
        self.emit(0, "def %s(x, y, s, n):" % self.name)
        for _ in range(self.r.randint(3, 7)):
            self.statement(1, True)
        self.emit(1, "return %s" % self.sexpr(3))
        return "\n".join(self.lines) + "\n"


def exports(name, dt):
    v, t = "%s[4]" % dt, dt
    return '''
@export
def v_{n}_{d}(x: {v}, y: {v}, s: {t}, n: i64) -> {t}:
    return {n}(x, y, s, n)


@export
def g_{n}_{d}(x: {v}, y: {v}, s: {t}, n: i64) -> tuple[{v}, {v}, {t}]:
    return grad({n}, argnums=(0, 1, 2))(x, y, s, n)


@export
def j_{n}_{d}(x: {v}, y: {v}, s: {t}, tx: {v}, ty: {v}, ts: {t}, n: i64) -> tuple[{t}, {t}]:
    return jvp(lambda a, b, c: {n}(a, b, c, n), (x, y, s), (tx, ty, ts))
'''.format(n=name, d=dt, v=v, t=t)


def second_order(name):
    """d/dx of (d{name}/dx . y): reverse over reverse."""
    return '''
@export
def h_{n}_f64(x: f64[4], y: f64[4], s: f64, n: i64) -> f64[4]:
    return grad(lambda a: sum(grad({n}, argnums=0)(a, y, s, n) * y))(x)


@export
def hs_{n}_f64(x: f64[4], y: f64[4], s: f64, n: i64) -> f64[4, 4]:
    return hessian(lambda a: {n}(a, y, s, n))(x)


@export
def jf_{n}_f64(x: f64[4], y: f64[4], s: f64, n: i64) -> f64[4]:
    return jacfwd(lambda a: {n}(a, y, s, n))(x)
'''.format(n=name)


P = ctypes.c_void_p


def ptr(a):
    return a.ctypes.data_as(P)


def rel(got, want):
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    return float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1.0)))


class Compiled:
    def __init__(self, lib, name, dt):
        self.lib, self.name, self.dt = lib, name, dt
        self.np = np.float64 if dt == "f64" else np.float32

    def fn(self, kind):
        return getattr(self.lib, "gen_%s_%s_%s" % (kind, self.name, self.dt))

    def value(self, x, y, s, n):
        out = np.zeros((), self.np)
        rc = self.fn("v")(*[ptr(np.asarray(a, self.np)) for a in (x, y, s)],
                          ptr(n), ptr(out))
        return rc, float(out)

    def hess(self, x, y, s, n, kind="h", shape=(4,)):
        out = np.zeros(shape, self.np)
        rc = self.fn(kind)(*[ptr(np.asarray(a, self.np)) for a in (x, y, s)],
                           ptr(n), ptr(out))
        return rc, out.astype(np.float64)

    def grad(self, x, y, s, n):
        outs = [np.zeros(4, self.np), np.zeros(4, self.np),
                np.zeros((), self.np)]
        rc = self.fn("g")(*[ptr(np.asarray(a, self.np)) for a in (x, y, s)],
                          ptr(n), *[ptr(o) for o in outs])
        return rc, np.concatenate([o.ravel() for o in outs]).astype(np.float64)

    def jvp(self, x, y, s, t, n):
        outs = [np.zeros((), self.np), np.zeros((), self.np)]
        args = [np.asarray(a, self.np) for a in (x, y, s, t[:4], t[4:8],
                                                 t[8])]
        rc = self.fn("j")(*[ptr(a) for a in args], ptr(n),
                          *[ptr(o) for o in outs])
        return rc, float(outs[1])


def eager(spore_run, src, entry, inputs, workdir):
    """Runs `entry` in the interpreter; returns its results, flattened, or
    the error."""
    out = os.path.join(workdir, "eager_" + entry)
    args = []
    for name, value in inputs.items():
        path = os.path.join(workdir, "%s_%s.npy" % (entry, name))
        np.save(path, value)
        args += ["--input", "%s=%s" % (name, path)]
    proc = subprocess.run([spore_run, "--eager", src, entry, "--out", out] +
                          args, capture_output=True, text=True)
    if proc.returncode != 0:
        return proc.stderr.strip()
    files = sorted(os.listdir(out), key=lambda f: int(f.split(".")[-2]))
    return np.concatenate([np.load(os.path.join(out, f)).ravel().astype(
        np.float64) for f in files])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sporec")
    parser.add_argument("spore_run")
    parser.add_argument("workdir")
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--programs", type=int, default=200)
    parser.add_argument("--per-module", type=int, default=25)
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    rng = random.Random(args.seed)
    data = np.random.default_rng(args.seed)
    failures, checked, replaced = 0, 0, 0

    def fail(what):
        nonlocal failures
        failures += 1
        print("FAIL " + what)

    module = 0
    while checked < args.programs:
        module += 1
        count = min(args.per_module, args.programs - checked + 3)
        programs = []
        text = PRELUDE
        for k in range(count):
            name = "p%d_%d" % (module, k)
            dt = "f32" if rng.random() < 0.3 else "f64"
            body = Program(rng, name).source()
            second = rng.random() < 0.25
            programs.append((name, dt, body, second))
            text += "\n" + body + exports(name, "f64")
            if dt == "f32":
                text += exports(name, "f32")
            if second:
                text += second_order(name)
        src = os.path.join(args.workdir, "gen.py")
        lib_path = os.path.join(args.workdir, "libgen%d.so" % module)
        with open(src, "w") as f:
            f.write(text)
        proc = subprocess.run([args.sporec, src, "--shared", "-o", lib_path],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            keep = os.path.join(args.workdir, "failed%d.py" % module)
            os.replace(src, keep)
            fail("module %d (seed %d) does not compile (%s):\n%s" % (
                module, args.seed, keep, proc.stderr[-2000:]))
            break
        lib = ctypes.CDLL(lib_path)
        jobs = []
        for name, dt, body, second in programs:
            x, y = data.uniform(-1, 1, 4), data.uniform(-1, 1, 4)
            s = data.uniform(-1, 1)
            n = np.array(data.integers(0, 4), np.int64)
            t = data.standard_normal(9)
            c64 = Compiled(lib, name, "f64")
            rc, value = c64.value(x, y, s, n)
            rcg, g = c64.grad(x, y, s, n)
            if rc != 0 or rcg != 0:
                fail("%s: return codes %d, %d\n%s" % (name, rc, rcg, body))
                continue
            if not (np.isfinite(value) and abs(value) < 1e6 and
                    np.all(np.isfinite(g)) and np.max(np.abs(g)) < 1e6):
                replaced += 1
                continue
            checked += 1
            flat = np.concatenate([x, y, [s]])
            fd = np.zeros(9)
            for i in range(9):
                h = 1e-6
                e = np.zeros(9)
                e[i] = h
                hi = c64.value((flat + e)[:4], (flat + e)[4:8], (flat + e)[8], n)[1]
                lo = c64.value((flat - e)[:4], (flat - e)[4:8], (flat - e)[8], n)[1]
                fd[i] = (hi - lo) / (2 * h)
            tol = 1e-5 * (1 + abs(value) + np.max(np.abs(g)))
            if np.max(np.abs(g - fd)) > tol:
                fail("%s: gradient %s, central differences %s (x=%s y=%s s=%r "
                     "n=%d)\n%s" % (name, g, fd, x, y, s, n, body))
                continue
            if second:
                rch, hv = c64.hess(x, y, s, n)
                hfd = np.zeros(4)
                for i in range(4):
                    h = 1e-5
                    e = np.zeros(4)
                    e[i] = h
                    hfd[i] = (np.dot(c64.grad(x + e, y, s, n)[1][:4], y) -
                              np.dot(c64.grad(x - e, y, s, n)[1][:4], y)) / (
                                  2 * h)
                htol = 1e-4 * (1 + np.max(np.abs(hfd)) + np.max(np.abs(g)))
                if rch != 0 or not np.max(np.abs(hv - hfd)) <= htol:
                    fail("%s: second derivative %s, central differences of "
                         "the gradient %s (x=%s y=%s s=%r n=%d)\n%s" % (
                             name, hv, hfd, x, y, s, n, body))
                    continue
                rcs, hs = c64.hess(x, y, s, n, "hs", (4, 4))
                if rcs != 0 or rel(hs @ y, hv) > 1e-8:
                    fail("%s: hessian @ y %s, second derivative %s (x=%s "
                         "y=%s s=%r n=%d)\n%s" % (name, hs @ y, hv, x, y, s,
                                                  n, body))
                    continue
                rcf, jf = c64.hess(x, y, s, n, "jf")
                if rcf != 0 or rel(jf, g[:4]) > 1e-9:
                    fail("%s: jacfwd %s, gradient %s\n%s" % (name, jf, g[:4],
                                                             body))
                    continue
            rcj, dy = c64.jvp(x, y, s, t, n)
            if rcj != 0 or rel(dy, np.dot(g, t)) > 1e-9:
                fail("%s: jvp %r, grad . t %r\n%s" % (name, dy, np.dot(g, t),
                                                      body))
                continue
            if dt == "f32":
                c32 = Compiled(lib, name, "f32")
                rc32, v32 = c32.value(x, y, s, n)
                rcg32, g32 = c32.grad(x, y, s, n)
                if (rc32 or rcg32 or rel(v32, value) > 1e-3 or
                        rel(g32, g) > 1e-3):
                    fail("%s: f32 %r %s against f64 %r %s\n%s" % (
                        name, v32, g32, value, g, body))
                    continue
            inputs = {"x": x, "y": y, "s": np.array(s), "n": n}
            cast = {k: (v.astype(np.float32) if dt == "f32" and
                        v.dtype == np.float64 else v)
                    for k, v in inputs.items()}
            jobs.append((name, dt, body, value, g, cast))

        def run_eager(job):
            name, dt, body, value, g, cast = job
            ev = eager(args.spore_run, src, "v_%s_%s" % (name, dt), cast,
                       args.workdir)
            eg = eager(args.spore_run, src, "g_%s_%s" % (name, dt), cast,
                       args.workdir)
            return job, ev, eg

        with ThreadPoolExecutor(2) as pool:
            for (name, dt, body, value, g, cast), ev, eg in pool.map(
                    run_eager, jobs):
                tol = 1e-9 if dt == "f64" else 1e-3
                if isinstance(ev, str) or isinstance(eg, str):
                    fail("%s: the interpreter failed: %s\n%s" % (
                        name, ev if isinstance(ev, str) else eg, body))
                elif rel(ev, value) > tol or rel(eg, g) > tol:
                    fail("%s (%s): interpreter %s %s, compiled %r %s\n%s" % (
                        name, dt, ev, eg, value, g, body))
        os.replace(src, os.path.join(args.workdir, "gen%d.py" % module))
        print("module %d: %d programs checked so far, %d failed, %d replaced "
              "(out of range)" % (module, checked, failures, replaced))
    print("%d programs (seed %d): %d failed" % (checked, args.seed, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
