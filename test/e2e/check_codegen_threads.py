"""Code generation on several threads (docs/cli.md, --codegen-threads).

A model large enough to be generated in parts (eight transformer blocks
of one Cell class, trained by SGD) is compiled with 1, 2 and 3 threads: the
objects must be byte-identical, their only global definitions the C entry
points (the functions shared between parts stay local), and the training
step of the library built from parts must agree with the reference
interpreter, for the loss and for every updated Parameter. The step of so
many blocks is glue (calls, allocations, frees) generated at -O0: the time
report must say so, the numbers above check that code, and `--emit=asm`
must show it as the object has it (the step's size, assembled).

Usage: check_codegen_threads.py SPOREC SPORE_RUN WORKDIR
"""

import os
import re
import shutil
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import close  # noqa: E402

SOURCE = """from spore import *


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
        self.blocks = (BLOCKS,)

    def __call__(self, x):
        for block in self.blocks:
            x = block(x)
        return x


model = Model()
opt = SGD(model, lr=0.1)


@export
def step(x: f32[16, 64], y: f32[16, 64]) -> f32:
    loss, g = value_and_grad(lambda: mean((model(x) - y) ** 2),
                             wrt=model.parameters)()
    opt.update(g)
    return loss
""".replace("BLOCKS", ", ".join(["Block(64, 4, 256)"] * 8))


def nm_tool():
    for name in ("llvm-nm-22", "/usr/lib/llvm-22/bin/llvm-nm", "llvm-nm",
                 "nm"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("FAIL: no nm found")


def cc_tool():
    for name in ("cc", "clang-22", "gcc"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("FAIL: no C compiler found")


def main():
    sporec, spore_run, workdir = sys.argv[1:4]
    os.makedirs(workdir, exist_ok=True)
    src = os.path.join(workdir, "parts.py")
    with open(src, "w") as f:
        f.write(SOURCE)
    failures = 0

    def report(ok, what):
        nonlocal failures
        print(("PASS " if ok else "FAIL ") + what)
        failures += not ok

    objects = {}
    for threads in (1, 2, 3):
        obj = os.path.join(workdir, "parts.%d.o" % threads)
        proc = subprocess.run([sporec, src, "-o", obj, "--time-report",
                               "--codegen-threads=%d" % threads],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit("FAIL: sporec --codegen-threads=%d:\n%s" %
                     (threads, proc.stderr))
        m = re.search(r"code generation: (\d+) parts? on (\d+) threads?",
                      proc.stderr)
        parts = int(m.group(1)) if m else 0
        report(parts >= 2 and int(m.group(2)) == min(threads, parts),
               "--codegen-threads=%d: %s" %
               (threads, m.group(0) if m else "no parts reported"))
        m = re.search(r"(\d+) functions? of glue at -O0", proc.stderr)
        report(m and int(m.group(1)) >= 1,
               "--codegen-threads=%d: %s" %
               (threads, m.group(0) if m else "no glue reported"))
        with open(obj, "rb") as f:
            objects[threads] = f.read()
    for threads in (2, 3):
        report(objects[threads] == objects[1],
               "the object with %d threads is the one with 1 (%d bytes)" %
               (threads, len(objects[1])))

    # The parts go through temporary files: where none can be made, sporec
    # says so and leaves no object behind.
    bad = os.path.join(workdir, "parts.notmp.o")
    proc = subprocess.run([sporec, src, "-o", bad],
                          capture_output=True, text=True,
                          env=dict(os.environ,
                                   TMPDIR=os.path.join(workdir, "missing")))
    report(proc.returncode == 1 and "missing" in proc.stderr and
           not os.path.exists(bad),
           "without a temporary folder: rc %d, %s" %
           (proc.returncode, proc.stderr.strip().splitlines()[-1:]))

    # --emit=asm shows the object's code: glue at -O0 there too. The
    # assembled step function has the size it has in the object.
    asm = os.path.join(workdir, "parts.s")
    subprocess.run([sporec, src, "--emit=asm", "-o", asm], check=True)
    assembled = os.path.join(workdir, "parts.asm.o")
    subprocess.run([cc_tool(), "-c", asm, "-o", assembled], check=True)

    def sizes(obj):
        out = subprocess.run([nm_tool(), "--defined-only", "--print-size",
                              obj], capture_output=True, text=True,
                             check=True).stdout
        return {f[-1]: int(f[1], 16) for f in map(str.split,
                                                   out.splitlines())
                if len(f) == 4}

    want, got = sizes(os.path.join(workdir, "parts.1.o")), sizes(assembled)
    step = "__spore_step"
    report(step in want and got.get(step) == want[step],
           "the step in --emit=asm has its size in the object: %s bytes "
           "against %s" % (got.get(step), want.get(step)))

    # Functions called across parts are hidden while the parts are linked,
    # then local: only the entry points are global definitions.
    proc = subprocess.run([nm_tool(), "--defined-only", "--extern-only",
                           os.path.join(workdir, "parts.1.o")],
                          capture_output=True, text=True, check=True)
    names = sorted(line.split()[-1] for line in proc.stdout.splitlines())
    internal = [n for n in names
                if not n.startswith(("parts_", "__spore_packed_parts_"))]
    report(names and not internal,
           "global definitions are the entry points (%d); internal: %s" %
           (len(names), internal or "none"))

    # The training step of the library built in parts, against the
    # interpreter: loss and every Parameter after the update.
    rng = np.random.default_rng(5)
    inputs = []
    for name in ("x", "y"):
        path = os.path.join(workdir, name + ".npy")
        np.save(path, rng.standard_normal((16, 64)).astype(np.float32))
        inputs += ["--input", "%s=%s" % (name, path)]
    results = {}
    for mode in ("compiled", "eager"):
        out = os.path.join(workdir, mode)
        os.makedirs(out, exist_ok=True)
        state = os.path.join(workdir, mode + ".npz")
        args = [spore_run, src, "step", "--init-state=3", "--save-state",
                state, "--out", out,
                "--cache-dir", os.path.join(workdir, "cache")] + inputs
        if mode == "eager":
            args.append("--eager")
        proc = subprocess.run(args, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit("FAIL: spore-run (%s):\n%s" % (mode, proc.stderr))
        loss = np.load(os.path.join(out, "step.0.npy"))
        with np.load(state) as params:
            results[mode] = (loss, {k: params[k] for k in params.files})
    loss, params = results["compiled"]
    want_loss, want_params = results["eager"]
    ok, why = close(loss, want_loss.astype(np.float64))
    report(ok, "loss %s against the interpreter's %s %s" %
           (loss, want_loss, "" if ok else why))
    bad = []
    for name, want in want_params.items():
        ok, why = close(params.get(name, np.zeros(0)),
                        want.astype(np.float64))
        if not ok:
            bad.append("%s: %s" % (name, why))
    report(len(params) == len(want_params) and not bad,
           "%d Parameters after the step agree with the interpreter%s" %
           (len(want_params), "; " + "; ".join(bad) if bad else ""))
    print("%d failed" % failures)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
