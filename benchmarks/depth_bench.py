#!/usr/bin/env python3
"""Compile time against model depth (issue 18): two families of models,
each a training step (value_and_grad of a mean-square loss, then an SGD
update) compiled by `sporec --shared -O2 --time-report`:

- dense N: N `tanh(Dense(64, 64))` layers, batch 32;
- transformer N: N pre-norm blocks (d 64, 4 heads, MLP 256), sequence 16.

For each depth it prints the stage times, the library's size and its bytes
per block, and the growth t(4N)/t(N) against the depth a quarter as deep.
For the depths listed in --inlined it also compiles with `--inline-all`
(every call inlined: the build before blocks stayed functions) and times
the compiled step of both builds side by side (medians, alternating).

Usage: depth_bench.py SPOREC [--dense 8,32,128] [--transformer 2,8,32]
                      [--inlined dense:8,transformer:2] [--steps N]
                      [--workdir DIR]
"""
import argparse
import ctypes
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np


def dense_model(n):
    layers = ", ".join("Dense(64, 64)" for _ in range(n))
    return f"""from spore import *


class Deep(Cell):
    def __init__(self):
        self.layers = ({layers},)

    def __call__(self, x):
        for layer in self.layers:
            x = tanh(layer(x))
        return x


model = Deep()
opt = SGD(model, lr=0.01)


@export
def step(x: f32[32, 64], y: f32[32, 64]) -> f32:
    loss, g = value_and_grad(lambda: mean((model(x) - y) ** 2),
                             wrt=model.parameters)()
    opt.update(g)
    return loss
"""


def transformer_model(n):
    blocks = ", ".join("Block(64, 4, 256)" for _ in range(n))
    return f"""from spore import *


class Attention(Cell):
    def __init__(self, d: int, heads: int):
        self.q = Dense(d, d)
        self.k = Dense(d, d)
        self.v = Dense(d, d)
        self.o = Dense(d, d)
        self.heads = heads

    def split(self, x):
        t, d = x.shape
        return transpose(reshape(x, (t, self.heads, d // self.heads)),
                         (1, 0, 2))

    def __call__(self, x):
        t, d = x.shape
        y = attention(self.split(self.q(x)), self.split(self.k(x)),
                      self.split(self.v(x)), causal=True)
        return self.o(reshape(transpose(y, (1, 0, 2)), (t, d)))


class Block(Cell):
    def __init__(self, d: int, heads: int, ffn: int):
        self.ln1 = LayerNorm(d)
        self.attn = Attention(d, heads)
        self.ln2 = LayerNorm(d)
        self.mlp = Sequential(Dense(d, ffn), gelu, Dense(ffn, d))

    def __call__(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class Model(Cell):
    def __init__(self):
        self.blocks = ({blocks},)

    def __call__(self, x):
        for block in self.blocks:
            x = block(x)
        return x


model = Model()
opt = SGD(model, lr=0.01)


@export
def step(x: f32[16, 64], y: f32[16, 64]) -> f32:
    loss, g = value_and_grad(lambda: mean((model(x) - y) ** 2),
                             wrt=model.parameters)()
    opt.update(g)
    return loss
"""


FAMILIES = {
    "dense": (dense_model, (32, 64)),
    "transformer": (transformer_model, (16, 64)),
}

STAGES = [("parse", "parse"), ("differentiate", "diff"),
          ("spore-cpu-pipeline", "mlir"), ("LLVM optimisation", "llvm-opt"),
          ("code generation", "codegen"), ("link", "link")]


def compile_model(sporec, source, workdir, name, extra):
    src = os.path.join(workdir, name + ".py")
    lib = os.path.join(workdir, "lib%s.so" % name)
    with open(src, "w") as f:
        f.write(source)
    start = time.perf_counter()
    proc = subprocess.run([sporec, src, "--shared", "-O2", "--time-report",
                           "-o", lib] + extra, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit("FAIL: sporec %s %s:\n%s" % (name, " ".join(extra),
                                              proc.stderr))
    stages = {}
    for line in proc.stderr.splitlines():
        m = re.match(r"\s+([0-9.]+)\s+[0-9.]+%\s+(.*)$", line)
        if m:
            for key, short in STAGES:
                if key in m.group(2):
                    stages[short] = stages.get(short, 0.0) + float(m.group(1))
    return lib, wall, stages, os.path.getsize(lib)


class Step:
    """The compiled step of a library, with its state."""

    def __init__(self, lib, name, shape):
        self.lib = ctypes.CDLL(lib)
        self.lib.spore_last_error.restype = ctypes.c_char_p
        self.name = name
        self.state = ctypes.c_void_p()
        self.fn("state_init").argtypes = [ctypes.c_void_p, ctypes.c_uint64]
        self.check(self.fn("state_create")(ctypes.byref(self.state), None))
        self.check(self.fn("state_init")(self.state, 1))
        rng = np.random.default_rng(0)
        self.x = rng.standard_normal(shape).astype(np.float32)
        self.y = rng.standard_normal(shape).astype(np.float32)
        self.loss = np.zeros((), np.float32)

    def fn(self, suffix):
        return self.lib["%s_%s" % (self.name, suffix)]

    def check(self, rc):
        if rc != 0:
            sys.exit("FAIL: %s: %s" % (self.name,
                                       self.lib.spore_last_error().decode()))

    def run(self, steps):
        f = self.fn("step")
        p = ctypes.c_void_p
        args = (self.state, p(self.x.ctypes.data), p(self.y.ctypes.data),
                p(self.loss.ctypes.data))
        start = time.perf_counter()
        for _ in range(steps):
            self.check(f(*args))
        return (time.perf_counter() - start) / steps * 1e3

    def destroy(self):
        self.fn("state_destroy")(self.state)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sporec")
    parser.add_argument("--dense", default="8,32,128")
    parser.add_argument("--transformer", default="2,8,32")
    parser.add_argument("--inlined", default="dense:8,transformer:2",
                        help="family:depth,... also built with --inline-all")
    parser.add_argument("--steps", type=int, default=50,
                        help="steps per timing round (5 rounds)")
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    workdir = args.workdir or tempfile.mkdtemp(prefix="spore-depth-")
    os.makedirs(workdir, exist_ok=True)
    inlined = set()
    for item in filter(None, args.inlined.split(",")):
        family, depth = item.split(":")
        inlined.add((family, int(depth)))

    print("sporec -O2 --shared --time-report, %d cores; times in s" %
          os.cpu_count())
    header = "%-12s %4s %7s " % ("family", "N", "total")
    header += " ".join("%8s" % short for _, short in STAGES)
    header += " %10s %9s %9s" % ("bytes", "B/block", "t(N)/t(N/4)")
    print(header)
    comparisons = []
    for family, (make, shape) in FAMILIES.items():
        depths = [int(d) for d in getattr(args, family).split(",") if d]
        totals = {}
        for n in depths:
            name = "%s%d" % (family, n)
            lib, wall, stages, size = compile_model(
                args.sporec, make(n), workdir, name, [])
            totals[n] = wall
            growth = ("%9.2f" % (wall / totals[n // 4])
                      if n // 4 in totals else "%9s" % "-")
            row = "%-12s %4d %7.2f " % (family, n, wall)
            row += " ".join("%8.2f" % stages.get(short, 0.0)
                            for _, short in STAGES)
            row += " %10d %9d %s" % (size, size // n, growth)
            print(row, flush=True)
            if (family, n) in inlined:
                flat, flat_wall, _, flat_size = compile_model(
                    args.sporec, make(n), workdir, name + "_inlined",
                    ["--inline-all"])
                print("%-12s %4d %7.2f  (--inline-all) %10d bytes" %
                      (family, n, flat_wall, flat_size), flush=True)
                comparisons.append((family, n, shape, lib, name, flat,
                                    name + "_inlined"))

    if comparisons:
        print("\nstep time (ms, median of 5 alternating rounds of %d steps)"
              % args.steps)
        print("%-12s %4s %10s %10s %8s" % ("family", "N", "separate",
                                           "inlined", "ratio"))
    for family, n, shape, lib, name, flat, flat_name in comparisons:
        separate = Step(lib, name, shape)
        inline = Step(flat, flat_name, shape)
        separate.run(3)
        inline.run(3)
        a, b = [], []
        for _ in range(5):
            a.append(separate.run(args.steps))
            b.append(inline.run(args.steps))
        # Same seed, same data, same steps: the two builds must agree.
        if not np.allclose(separate.loss, inline.loss, rtol=1e-3, atol=1e-5):
            sys.exit("FAIL: %s: loss %g with separate blocks, %g inlined" %
                     (name, separate.loss, inline.loss))
        print("%-12s %4d %10.3f %10.3f %8.3f" % (
            family, n, statistics.median(a), statistics.median(b),
            statistics.median(a) / statistics.median(b)))
        separate.destroy()
        inline.destroy()


if __name__ == "__main__":
    main()
