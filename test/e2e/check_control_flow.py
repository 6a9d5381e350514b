#!/usr/bin/env python3
"""The control-flow grid: for each ordered pair of {if, for, while}, nested
and in sequence, with plain, break, continue and early-return variants, a
program compiled by sporec is run on inputs that take different paths and
compared with the same source executed by Python on NumPy float32 values
(the language is a subset of Python, so CPython is an independent oracle).

Each program is also differentiated (reverse mode, in f64, through its
run-time loops and branches): the gradient of sum(r * r) with respect to
`v` and `x` is compared with central differences of the CPython oracle.
The programs are piecewise linear, so away from a branch switch those
differences are exact up to rounding; the inputs are shifted off the
dyadic grid so that no comparison sits on a threshold.

Usage: check_control_flow.py SPOREC WORKDIR
"""
import ctypes
import itertools
import os
import sys
import textwrap

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import compile_shared, oracle  # noqa: E402

SPOREC, WORKDIR = sys.argv[1], sys.argv[2]
os.makedirs(WORKDIR, exist_ok=True)


def indent(text, n=4):
    return textwrap.indent(text, " " * n)


def construct(kind, level, body):
    """`kind` wrapped around `body` (a string of statements)."""
    if kind == "if":
        return (f"if acc.sum() > x * {level + 1}.0:\n{indent(body)}\n"
                f"else:\n    acc = acc - 0.25\n")
    if kind == "for":
        return f"for k{level} in range(n):\n{indent(body)}\n"
    return (f"w{level} = 0\nwhile w{level} < n + {level}:\n"
            f"    w{level} = w{level} + 1\n{indent(body)}\n")


def step(variant, level):
    """The innermost statements; `variant` adds a transfer of control."""
    core = f"acc = acc * 1.25 + x * {level + 1}.0\n"
    if variant == "break":
        return core + "if acc.sum() > 20.0:\n    break\n"
    if variant == "continue":
        return "if acc.sum() < 0.0:\n    acc = acc + 1.0\n    continue\n" + core
    if variant == "return":
        return core + "if acc.sum() > 30.0:\n    return acc * 2.0\n"
    return core


def loops(kinds):
    return any(k in ("for", "while") for k in kinds)


programs = {}
for a, b in itertools.product(["if", "for", "while"], repeat=2):
    for shape in ["nested", "sequence"]:
        for variant in ["plain", "break", "continue", "return"]:
            if shape == "nested":
                inner = construct(b, 1, step(variant, 1))
                body = construct(a, 0, inner)
                needs_loop = [a, b]
            else:
                body = (construct(a, 0, step(variant, 0)) +
                        construct(b, 1, step(variant, 1)))
                needs_loop = None
            # break/continue need an enclosing loop at each use.
            if variant in ("break", "continue"):
                if shape == "nested" and not loops([a, b]):
                    continue
                if shape == "sequence" and not (loops([a]) and loops([b])):
                    continue
            name = f"{a}_{b}_{shape}_{variant}"
            programs[name] = (
                f"def {name}_body(v, x, n):\n"
                f"    acc = v\n{indent(body)}    return acc\n\n\n"
                f"@export\ndef {name}(v: f32[3], x: f32, n: i64) -> f32[3]:\n"
                f"    return {name}_body(v, x, n)\n\n\n"
                f"@export\ndef d_{name}(v: f64[3], x: f64, n: i64)"
                f" -> tuple[f64[3], f64]:\n"
                f"    loss = lambda v, x: sum({name}_body(v, x, n) ** 2.0)\n"
                f"    return grad(loss, argnums=(0, 1))(v, x)\n")


def deep(depth):
    """`depth` run-time loops, for and while in turn, around an early
    return and a literal that learns its dtype in the innermost body. The
    frontend used to emit each level twice (once to learn the returned
    value's type), doubling its time per level: depth 18 took 14 s. (CPython,
    the oracle, allows 20 nested blocks; test/frontend/deep-loops.py goes
    to 30.)"""
    body = ["acc = acc * 1.25 + x", "t = t + x",
            "if acc.sum() > 4.0 or n > 1:", "    return acc * 2.0 + t"]
    for level in reversed(range(depth)):
        if level % 2 == 0:
            head = [f"for k{level} in range(n):"]
        else:
            head = [f"w{level} = 0", f"while w{level} < n:",
                    f"    w{level} = w{level} + 1"]
        body = head + ["    " + line for line in body]
    return "\n".join(body) + "\n"


# n in {0, 1, 2} only: with n = 2 the innermost body returns at once.
DEEP = {"deep18": 18, "deep6": 6}
for name, depth in DEEP.items():
    programs[name] = (
        f"def {name}_body(v, x, n):\n    acc = v\n    t = 0.0\n"
        f"{indent(deep(depth))}    return acc + t\n\n\n"
        f"@export\ndef {name}(v: f32[3], x: f32, n: i64) -> f32[3]:\n"
        f"    return {name}_body(v, x, n)\n")
# The gradient through the shallower one (the deep one's adjoint is
# compile-time work of another kind: issue 18).
programs["deep6"] += (
    "\n\n@export\ndef d_deep6(v: f64[3], x: f64, n: i64)"
    " -> tuple[f64[3], f64]:\n"
    "    loss = lambda v, x: sum(deep6_body(v, x, n) ** 2.0)\n"
    "    return grad(loss, argnums=(0, 1))(v, x)\n")

source = "\n\n".join(programs.values())
library, src = compile_shared(SPOREC, source, WORKDIR, "grid")

# CPython as the oracle: the same source with NumPy float32 values.
ref = oracle(source, src)

inputs = [(v, x, n) for v in ([0.5, -1.0, 2.0], [-3.0, 0.0, 0.25])
          for x in (-1.0, 0.5, 2.0) for n in (0, 1, 3, 7)]
# n = 2 returns at once from the deep nests; larger n would run n**depth.
deep_inputs = [(v, x, n) for v, x, _ in inputs[::4] for n in (0, 1, 2)]
failures = 0
for name in programs:
    fn = getattr(library, "grid_" + name)
    fn.restype = ctypes.c_int
    bad = None
    for v, x, n in deep_inputs if name in DEEP else inputs:
        va = np.array(v, np.float32)
        xa = np.array(x, np.float32)
        na = np.array(n, np.int64)
        out = np.zeros(3, np.float32)
        rc = fn(*[a.ctypes.data_as(ctypes.c_void_p) for a in (va, xa, na, out)])
        want = np.asarray(ref[name](va.copy(), np.float32(x), n),
                          np.float64)
        err = np.max(np.abs(out - want) / np.maximum(np.abs(want), 1.0))
        if rc != 0 or not err <= 1e-5:
            bad = "v=%s x=%s n=%s: got %s, want %s" % (v, x, n, out, want)
            break
    print(("PASS " if bad is None else "FAIL ") + name +
          ("" if bad is None else ": " + bad))
    failures += bad is not None

# Gradients against central differences of the oracle in f64.
P = ctypes.c_void_p
shift = np.array([0.0123, -0.0271, 0.0089])
for name in programs:
    if name == "deep18":
        continue
    fn = getattr(library, "grid_d_" + name)
    body = ref[name + "_body"]
    loss = lambda v, x, n: float(np.sum(np.asarray(body(v.copy(), x, n)) ** 2))
    bad = None
    for v, x, n in deep_inputs if name in DEEP else inputs:
        va = np.array(v, np.float64) + shift
        xa = np.array(x + 0.0137, np.float64)
        na = np.array(n, np.int64)
        gv, gx = np.zeros(3), np.zeros(())
        rc = fn(*[a.ctypes.data_as(P) for a in (va, xa, na, gv, gx)])
        h = 1e-6
        want_v = np.array([(loss(va + h * e, xa, n) - loss(va - h * e, xa, n))
                           / (2 * h) for e in np.eye(3)])
        want_x = (loss(va, xa + h, n) - loss(va, xa - h, n)) / (2 * h)
        got = np.append(gv, gx)
        want = np.append(want_v, want_x)
        err = np.max(np.abs(got - want)) / max(1.0, np.max(np.abs(want)))
        if rc != 0 or not err <= 1e-6:
            bad = "v=%s x=%s n=%s: gradient %s, finite differences %s" % (
                va, xa, n, got, want)
            break
    print(("PASS " if bad is None else "FAIL ") + "grad " + name +
          ("" if bad is None else ": " + bad))
    failures += bad is not None
print("%d programs, each differentiated too, %d failed"
      % (len(programs), failures))
sys.exit(1 if failures else 0)
