#!/usr/bin/env python3
"""The gradient checker: for every differentiable primitive (and the
prelude's compositions), reverse mode against central finite differences
in f64 on the full gradient (small shapes) and in a random direction, and
second order (reverse over reverse) against finite differences of the
compiled first-order gradient. The compiled gradients are also compared
with the reference interpreter's (spore-run --eager).

Each case differentiates sum(sin(EXPR)), so that every element of EXPR
gets a different cotangent.

Usage: check_gradients.py SPOREC SPORE_RUN WORKDIR
"""
import ctypes
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import compile_shared  # noqa: E402

SPOREC, SPORE_RUN, WORKDIR = sys.argv[1:4]
os.makedirs(WORKDIR, exist_ok=True)
rng = np.random.default_rng(7)

# Input kinds: n normal; p positive in (0.5, 2); u in (-0.9, 0.9);
# s well separated (no ties, away from 0: kinks of relu, abs, max);
# i small indices (int64), j indices into 4 rows (int64), k trip counts
# (int64, 0 to 11); z normal with exact zeros in rows 1 and 2 of a
# [3, 4].
def make(kind, shape):
    n = int(np.prod(shape))
    if kind == "n":
        return rng.standard_normal(shape)
    if kind == "p":
        return rng.uniform(0.5, 2.0, shape)
    if kind == "u":
        return rng.uniform(-0.9, 0.9, shape)
    if kind == "s":
        values = (np.arange(n) - n / 2 + 0.5) * 0.7 + 0.1
        return rng.permutation(values).reshape(shape)
    if kind == "i":
        return np.array(rng.integers(0, 3), np.int64).reshape(shape)
    if kind == "j":
        return rng.integers(-4, 4, shape).astype(np.int64)
    if kind == "c":  # class labels of 4 classes
        return rng.integers(0, 4, shape).astype(np.int64)
    if kind == "z":
        # Rows with no zero, one zero and two zeros (prod's three cases).
        values = rng.standard_normal(shape)
        values[1, 2] = values[2, 0] = values[2, 3] = 0.0
        return values
    if kind == "k":
        return np.array(rng.integers(0, 12), np.int64).reshape(shape)
    raise ValueError(kind)


# Cases whose rules are for reverse mode only (no forward-mode checks).
REVERSE_ONLY = {"custom_vjp"}

# (name, expression, [(param, kind, shape)], differentiated params,
#  second order?)
CASES = [
    ("neg", "-a", [("a", "n", (3, 2))], "a", True),
    ("exp", "exp(a)", [("a", "n", (5,))], "a", True),
    ("log", "log(a)", [("a", "p", (5,))], "a", True),
    ("tanh", "tanh(a)", [("a", "n", (5,))], "a", True),
    ("sigmoid", "sigmoid(a)", [("a", "n", (5,))], "a", True),
    ("relu", "relu(a)", [("a", "s", (6,))], "a", True),
    ("abs", "abs(a)", [("a", "s", (6,))], "a", True),
    ("sqrt", "sqrt(a)", [("a", "p", (5,))], "a", True),
    ("rsqrt", "rsqrt(a)", [("a", "p", (5,))], "a", True),
    ("expm1", "expm1(a)", [("a", "n", (5,))], "a", True),
    ("log1p", "log1p(a)", [("a", "p", (5,))], "a", True),
    ("sin", "sin(a)", [("a", "n", (5,))], "a", True),
    ("cos", "cos(a)", [("a", "n", (5,))], "a", True),
    ("tan", "tan(a)", [("a", "u", (5,))], "a", True),
    ("sinh", "sinh(a)", [("a", "n", (5,))], "a", True),
    ("cosh", "cosh(a)", [("a", "n", (5,))], "a", True),
    ("asin", "asin(a)", [("a", "u", (5,))], "a", True),
    ("acos", "acos(a)", [("a", "u", (5,))], "a", True),
    ("atan", "atan(a)", [("a", "n", (5,))], "a", True),
    ("erf", "erf(a)", [("a", "n", (5,))], "a", True),
    ("lgamma", "lgamma(a)", [("a", "p", (5,))], "a", True),
    # Between the poles at -2 and -1 (the reflection formula).
    ("lgamma_negative", "lgamma(a * 0.4 - 1.5)", [("a", "u", (5,))], "a",
     True),
    ("digamma_negative", "digamma(a * 0.4 - 1.5)", [("a", "u", (5,))], "a",
     True),
    ("digamma", "digamma(a)", [("a", "p", (5,))], "a", True),
    ("polygamma", "polygamma(2, a)", [("a", "p", (5,))], "a", True),
    ("multigammaln", "multigammaln(a + 2.0, 3)", [("a", "p", (5,))], "a",
     True),
    ("add", "a + b", [("a", "n", (2, 3)), ("b", "n", (2, 3))], "ab", True),
    ("sub", "a - b", [("a", "n", (2, 3)), ("b", "n", (2, 3))], "ab", True),
    ("mul", "a * b", [("a", "n", (2, 3)), ("b", "n", (2, 3))], "ab", True),
    ("div", "a / b", [("a", "n", (2, 3)), ("b", "p", (2, 3))], "ab", True),
    ("pow", "a ** b", [("a", "p", (4,)), ("b", "n", (4,))], "ab", True),
    ("pow_const", "a ** 3.0", [("a", "n", (4,))], "a", True),
    ("maximum", "maximum(a, b)", [("a", "s", (6,)), ("b", "n", (6,))], "ab",
     True),
    ("minimum", "minimum(a, b)", [("a", "s", (6,)), ("b", "n", (6,))], "ab",
     True),
    ("atan2", "atan2(a, b)", [("a", "n", (4,)), ("b", "p", (4,))], "ab", True),
    ("mod", "a % b", [("a", "p", (4,)), ("b", "p", (4,))], "ab", True),
    ("broadcast", "a * b + a", [("a", "n", (3, 1)), ("b", "n", (4,))], "ab",
     True),
    ("broadcast_scalar", "a * b", [("a", "n", ()), ("b", "n", (2, 3))], "ab",
     True),
    ("matmul", "a @ b", [("a", "n", (3, 4)), ("b", "n", (4, 2))], "ab", True),
    ("matmul_vec_mat", "a @ b", [("a", "n", (4,)), ("b", "n", (4, 2))], "ab",
     True),
    ("matmul_mat_vec", "a @ b", [("a", "n", (3, 4)), ("b", "n", (4,))], "ab",
     True),
    ("matmul_vec_vec", "a @ b", [("a", "n", (4,)), ("b", "n", (4,))], "ab",
     True),
    ("matmul_batched", "a @ b", [("a", "n", (2, 3, 4)), ("b", "n", (2, 4, 2))],
     "ab", True),
    ("matmul_broadcast", "a @ b", [("a", "n", (2, 3, 4)), ("b", "n", (4, 2))],
     "ab", True),
    ("sum_axis", "sum(a, axis=1)", [("a", "n", (3, 4))], "a", True),
    ("sum_all", "a.sum()", [("a", "n", (3, 4))], "a", True),
    ("mean_keepdims", "mean(a, axis=0, keepdims=True) * a",
     [("a", "n", (3, 4))], "a", True),
    ("max_axis", "max(a, axis=-1)", [("a", "s", (3, 4))], "a", True),
    ("min_all", "min(a)", [("a", "s", (3, 4))], "a", True),
    ("reshape", "reshape(a, (4, 3))", [("a", "n", (3, 4))], "a", True),
    ("transpose", "transpose(a, (2, 0, 1))", [("a", "n", (2, 3, 2))], "a",
     True),
    ("T", "a.T @ a", [("a", "n", (3, 2))], "a", True),
    ("softmax", "softmax(a, axis=-1)", [("a", "n", (2, 4))], "a", True),
    ("log_softmax", "log_softmax(a, axis=0)", [("a", "n", (3, 2))], "a", True),
    ("cumsum", "cumsum(a, axis=1)", [("a", "n", (2, 4))], "a", True),
    ("prod", "prod(a, axis=1)", [("a", "n", (2, 4))], "a", True),
    ("prod_zeros", "prod(a, axis=1, keepdims=True) * a", [("a", "z", (3, 4))],
     "a", True),
    ("prod_all", "prod(a) * a", [("a", "u", (2, 3))], "a", True),
    ("conv2d", "conv2d(x, w)", [("x", "n", (2, 5, 4, 3)), ("w", "n", (3, 2, 3, 4))],
     "xw", True),
    ("conv2d_strided", "conv2d(x, w, stride=2, padding=1, dilation=(1, 2))",
     [("x", "n", (1, 7, 8, 2)), ("w", "n", (3, 3, 2, 3))], "xw", True),
    ("conv2d_groups", "conv2d(x, w, padding='same', groups=2)",
     [("x", "n", (1, 5, 5, 4)), ("w", "n", (3, 3, 2, 6))], "xw", True),
    ("conv2d_uneven", "conv2d(x, w, stride=(2, 3), padding=((0, 1), (2, 0)))",
     [("x", "n", (1, 6, 7, 2)), ("w", "n", (2, 3, 2, 2))], "xw", True),
    ("max_pool2d", "max_pool2d(x, 2)", [("x", "s", (2, 4, 6, 2))], "x", True),
    ("max_pool2d_padded", "max_pool2d(x, 3, stride=2, padding=1)",
     [("x", "s", (1, 5, 5, 2))], "x", True),
    ("avg_pool2d", "avg_pool2d(x, (2, 3), stride=(1, 2), padding=1)",
     [("x", "n", (1, 4, 5, 2))], "x", True),
    ("concatenate", "concatenate((a, b * 2.0), axis=0)",
     [("a", "n", (2, 3)), ("b", "n", (1, 3))], "ab", True),
    ("slice", "a[1:3, ::-1] + a[0:2, 0:3]", [("a", "n", (4, 3))], "a", True),
    ("slice_steps", "a[::2, None, 1]", [("a", "n", (5, 2))], "a", True),
    ("index_runtime", "a[i] * 2.0", [("a", "n", (4, 3)), ("i", "i", ())], "a",
     True),
    ("update", "update(a, b)", [("a", "n", (4, 3)), ("b", "n", (2, 3))], "ab",
     True),
    ("update_runtime", "update_at(a, b, i)",
     [("a", "n", (4, 3)), ("b", "n", (3,)), ("i", "i", ())], "ab", True),
    ("gather", "a[j]", [("a", "n", (4, 3)), ("j", "j", (5,))], "a", True),
    ("scatter_add", "scatter_add(a, j, b)",
     [("a", "n", (4, 3)), ("j", "j", (5,)), ("b", "n", (5, 3))], "ab", True),
    ("where", "where(a > 0.0, a * b, b * 2.0)",
     [("a", "s", (6,)), ("b", "n", (6,))], "ab", True),
    ("layer_norm", "layer_norm(a, b, b * 0.5)",
     [("a", "n", (2, 4)), ("b", "n", (4,))], "ab", True),
    ("gelu", "gelu(a) + gelu(a, approximate=True)", [("a", "n", (5,))], "a",
     True),
    ("softplus", "softplus(a) + silu(a)", [("a", "n", (5,))], "a", True),
    ("logsumexp", "logsumexp(a, axis=1)", [("a", "n", (2, 3))], "a", True),
    ("var_std", "var(a) + std(a, axis=0)", [("a", "n", (3, 4))], "a", True),
    ("cross_entropy", "cross_entropy(a, c)", [("a", "n", (5, 4)),
                                              ("c", "c", (5,))], "a", True),
    ("attention", "attention(a, b, a * b, causal=True)",
     [("a", "n", (3, 4)), ("b", "n", (3, 4))], "ab", True),
    ("mse", "mse(a, b)", [("a", "n", (4,)), ("b", "n", (4,))], "ab", True),
]

# Functions with run-time branches: (name, source of f_NAME, params,
# differentiated params, second order?). Inputs are drawn so that
# different runs take different paths; the branch taken does not change
# within the finite-difference step.
BRANCHES = [
    ("if_else", """
def f_if_else(a, b):
    y = a * b
    if sum(a) > 0.0:
        y = sin(y) * b
    else:
        y = tanh(y) + a
    return sum(y * y)
""", [("a", "n", (3,)), ("b", "n", (3,))], "ab", True),
    ("if_nested", """
def f_if_nested(a, b):
    y = a
    if a[0] > 0.0:
        y = y * b
        if b[1] > 0.0:
            y = exp(y)
    return sum(y)
""", [("a", "n", (3,)), ("b", "n", (3,))], "ab", True),
    ("early_return", """
def f_early_return(a, b):
    if sum(b) < 0.0:
        return sum(a * a)
    c = a @ b
    if c > 1.0:
        return c * 2.0
    return c * c
""", [("a", "n", (4,)), ("b", "n", (4,))], "ab", True),
    ("checkpoint", """
def f_checkpoint(a, b):
    h = checkpoint(lambda a: tanh(a * b) + a)(a)
    for i in range(2):
        h = checkpoint(lambda h: sin(h) * (b * 0.5) + h)(h)
    return sum(h * h)
""", [("a", "n", (3,)), ("b", "n", (3,))], "ab", False),
    ("compile_time_loop", """
def f_compile_time_loop(a, b):
    h = a
    for i in range(3):
        h = tanh(h * b) * (i + 1)
        for j in range(2):
            h = h + sin(h) * j
    return sum(h)
""", [("a", "n", (3,)), ("b", "n", (3,))], "ab", True),
    # Loops with run-time trip counts keep a value stack (none of these is
    # unrolled); bodies read the index to check that it runs backwards.
    ("for_runtime", """
def f_for_runtime(a, b, n):
    h = a
    for i in range(n):
        h = tanh(h * b + astype(i, f64) * 0.1)
    return sum(h * a)
""", [("a", "n", (3,)), ("b", "n", (3,)), ("n", "k", ())], "ab", True),
    ("for_negative_step", """
def f_for_negative_step(a, b, n):
    h = a
    for i in range(n, -1, -2):
        h = sin(h) * b + astype(i, f64) * h * 0.05
    return sum(h)
""", [("a", "n", (3,)), ("b", "n", (3,)), ("n", "k", ())], "ab", True),
    ("for_long", """
def f_for_long(a, b):
    h = a
    for i in range(300):
        h = h * 0.99 + sin(h * b) * 0.01
    return sum(h * h)
""", [("a", "n", (3,)), ("b", "n", (3,))], "ab", True),
    ("while_data", """
def f_while_data(a, b):
    h = a
    k = 0
    while sum(h * h) < 50.0 and k < 100:
        h = h * 1.3 + sin(h * b) * 0.1
        k += 1
    return sum(h * b)
""", [("a", "n", (3,)), ("b", "n", (3,))], "ab", True),
    # The gradient jumps where the break moves; second order holds between
    # the jumps, and the drawn inputs (fixed seed) are not within the
    # finite-difference step of one.
    ("break_continue", """
def f_break_continue(a, b, n):
    h = a
    for i in range(n):
        if i % 3 == 1:
            continue
        if sum(h) > 20.0:
            break
        h = h * b + sin(h)
    return sum(h * h)
""", [("a", "n", (3,)), ("b", "n", (3,)), ("n", "k", ())], "ab", True),
    ("nested_loops", """
def f_nested_loops(a, b, n):
    h = a
    for i in range(n):
        for j in range(i):
            h = tanh(h * b) * 0.5 + h * 0.5
        if h[0] > 0.0:
            h = h * 0.9
    return sum(h)
""", [("a", "n", (3,)), ("b", "n", (3,)), ("n", "k", ())], "ab", True),
    ("loop_return", """
def f_loop_return(a, b, n):
    h = a
    for i in range(n):
        h = tanh(h + b)
        if sum(h) > 1.0:
            return sum(h * a)
    return sum(h)
""", [("a", "n", (3,)), ("b", "n", (3,)), ("n", "k", ())], "ab", True),
    ("loop_closure", """
def f_loop_closure(a, b, n):
    step = lambda h: sin(h * b) + a
    h = a
    for i in range(n):
        h = step(h)
    return sum(h)
""", [("a", "n", (3,)), ("b", "n", (3,)), ("n", "k", ())], "ab", True),
    # A rule that is the true derivative: finite differences agree, and
    # second order differentiates the rule.
    ("custom_vjp", """
@custom_vjp
def softplus_c(x):
    return log1p(exp(-abs(x))) + maximum(x, 0.0)


@softplus_c.defvjp
def softplus_c_rule(x, out, g):
    return (g * sigmoid(x),)


def f_custom_vjp(a, b):
    return sum(softplus_c(a * b) * a)
""", [("a", "s", (4,)), ("b", "n", (4,))], "ab", True),
    ("if_without_else", """
def f_if_without_else(a, b):
    y = a * 1.0
    if b[0] > 0.0:
        y = y * b
    return sum(sin(y))
""", [("a", "n", (3,)), ("b", "n", (3,))], "ab", True),
    # Calls of functions that stay functions (spore-share-functions: called
    # from several places, three ops or more): their derivatives are calls
    # of a forward and a backward function (docs/differentiation.md).
    ("calls_chain", """
def f_calls_chain(a, b):
    h = layer(a, b)
    h = layer(h, b * b)
    return sum(layer(h, a) * h)
""", [("a", "n", (3,)), ("b", "n", (3,))], "ab", True),
    ("calls_inactive", """
def f_calls_inactive(a, b, c):
    h = layer(a, c)
    return sum(layer(h, b) + layer(c, c))
""", [("a", "n", (3,)), ("b", "n", (3,)), ("c", "n", (3,))], "ab", True),
    ("calls_nested", """
def f_calls_nested(a, b):
    return sum(block(block(a, b), a))
""", [("a", "n", (3,)), ("b", "n", (3,))], "ab", True),
    ("calls_branch", """
def f_calls_branch(a, b):
    if b[0] > 0.0:
        h = layer(a, b)
    else:
        h = layer(b, a) * 2.0
    return sum(layer(h, h))
""", [("a", "n", (3,)), ("b", "n", (3,))], "ab", True),
    ("calls_loop", """
def f_calls_loop(a, b, n):
    h = a
    for i in range(n):
        h = layer(h, b) + astype(i, f64) * 0.01
    return sum(block(h, a))
""", [("a", "n", (3,)), ("b", "n", (3,)), ("n", "k", ())], "ab", True),
    ("calls_of_loops", """
def f_calls_of_loops(a, b, n):
    return sum(looped(looped(a, b, n), a, n))
""", [("a", "n", (3,)), ("b", "n", (3,)), ("n", "k", ())], "ab", True),
]

HELPERS = """
def layer(h, w):
    return tanh(h * w + 0.1) * 0.9 + h * 0.1


def block(h, w):
    return layer(layer(h, w), w * 0.5) * 1.5


def looped(h, w, n):
    for i in range(n):
        h = sin(h) * w + h * 0.5
    return h

def update(a, b):
    c = a * 1.0
    c[1:3] = b
    return c


def update_at(a, b, i):
    c = a * 1.0
    c[i] = b
    return c
"""


def sig(params):
    out = []
    for p, kind, shape in params:
        dtype = "i64" if kind in "ijk" else "f64"
        out.append("%s: %s%s" % (p, dtype, list(shape) if shape else ""))
    return ", ".join(out)


source = "from spore import *\n" + HELPERS
for name, body, params, _, _ in BRANCHES:
    source += body
CASES += [(name, None, params, wrt, second)
          for name, _, params, wrt, second in BRANCHES]
for name, expr, params, wrt, second in CASES:
    names = ", ".join(p for p, _, _ in params)
    idx = [i for i, (p, _, _) in enumerate(params) if p in wrt]
    shapes = [params[i][2] for i in idx]
    gtypes = ", ".join("f64%s" % (list(s) if s else "") for s in shapes)
    if expr is not None:
        source += "\n\ndef f_%s(%s):\n    return sum(sin(%s))\n" % (
            name, names, expr)
    source += "\n\n@export\ndef v_%s(%s) -> f64:\n    return f_%s(%s)\n" % (
        name, sig(params), name, names)
    source += ("\n\n@export\ndef g_%s(%s) -> tuple[%s]:\n"
               "    return grad(f_%s, argnums=(%s,))(%s)\n") % (
        name, sig(params), gtypes, name, ", ".join(map(str, idx)), names)
    # Forward mode: the jvp of f with a tangent for each differentiated
    # parameter; and forward over reverse: the jvp of the first gradient.
    # (A @custom_vjp rule is for reverse mode only, as in JAX.)
    if name not in REVERSE_ONLY:
        wnames = [params[i][0] for i in idx]
        tsig = ", ".join("t_%s: f64%s" % (params[i][0],
                                          list(params[i][2]) if params[i][2] else "")
                         for i in idx)
        source += ("\n\n@export\ndef j_%s(%s, %s) -> f64:\n"
                   "    return jvp(lambda %s: f_%s(%s), (%s,), (%s,))[1]\n") % (
            name, sig(params), tsig, ", ".join(wnames), name, names,
            ", ".join(wnames), ", ".join("t_" + w for w in wnames))
        source += ("\n\n@export\ndef fr_%s(%s, %s) -> %s:\n"
                   "    inner = lambda %s: grad(f_%s, argnums=%d)(%s)\n"
                   "    return jvp(inner, (%s,), (t_%s,))[1]\n") % (
            name, sig(params), "t_%s: f64%s" % (wnames[0], list(shapes[0])
                                                 if shapes[0] else ""),
            "f64%s" % (list(shapes[0]) if shapes[0] else ""),
            wnames[0], name, idx[0], names, wnames[0], wnames[0])
    if second:
        # d/da of sum(sin(df/da)): reverse over reverse.
        source += ("\n\n@export\ndef h_%s(%s) -> %s:\n"
                   "    inner = lambda %s: sum(sin(grad(f_%s, argnums=%d)(%s)))\n"
                   "    return grad(inner, argnums=%d)(%s)\n") % (
            name, sig(params), "f64%s" % (list(shapes[0]) if shapes[0] else ""),
            names, name, idx[0], names, idx[0], names)

# stop_gradient: finite differences see through it, so the expected
# gradient is worked out by hand below.
source += """

@export
def stopped(a: f64[3], b: f64[3]) -> tuple[f64[3], f64[3]]:
    f = lambda a, b: sum(sin(a * stop_gradient(b)) + stop_gradient(a) * b)
    return grad(f, argnums=(0, 1))(a, b)
"""

# A custom rule that is not the derivative (gradient clipping): the
# expected gradient is worked out by hand below.
source += """

@custom_vjp
def clip_gradient(x, lo, hi):
    return x


@clip_gradient.defvjp
def clip_gradient_rule(x, lo, hi, out, g):
    return clip(g, lo, hi), None, None


@export
def clipped(a: f64[3], b: f64[3]) -> tuple[f64[3], f64[3]]:
    f = lambda a, b: sum(sin(clip_gradient(a * b, -0.5, 0.5)) * 3.0)
    return grad(f, argnums=(0, 1))(a, b)
"""

# vjp, jvp, jacrev, jacfwd and hessian of a vector function and a scalar
# one, against Jacobians by central differences of the same functions in
# NumPy.
source += """

def vector_fn(x, w):
    return tanh(x * w) * x + w


def scalar_fn(x):
    return sum(sin(x) * x * x)


@export
def t_vjp(x: f64[3], w: f64[3], c: f64[3]) -> tuple[f64[3], f64[3], f64[3]]:
    y, pullback = vjp(vector_fn, x, w)
    gx, gw = pullback(c)
    return y, gx, gw


@export
def t_jvp(x: f64[3], w: f64[3], tx: f64[3], tw: f64[3]) -> tuple[f64[3], f64[3]]:
    return jvp(vector_fn, (x, w), (tx, tw))


def plain_blocks(a, b):
    h = tanh(a * b) + a
    for i in range(2):
        h = sin(h) * (b * 0.5) + h
    return sum(sin(h * h))


def checkpointed_blocks(a, b):
    h = checkpoint(lambda a: tanh(a * b) + a)(a)
    for i in range(2):
        h = checkpoint(lambda h: sin(h) * (b * 0.5) + h)(h)
    return sum(sin(h * h))


@export
def t_checkpoint_second(a: f64[3], b: f64[3]) -> tuple[f64[3], f64[3]]:
    # Second order through checkpoints equals second order without them.
    second = lambda f: grad(lambda a, b: sum(sin(grad(f)(a, b))))(a, b)
    return second(checkpointed_blocks), second(plain_blocks)


@export
def t_jacobians(x: f64[3], w: f64[3]) -> tuple[f64[3, 3], f64[3, 3], f64[3, 3]]:
    return jacrev(vector_fn)(x, w), jacfwd(vector_fn, argnums=1)(x, w), hessian(scalar_fn)(x)


def looped_fn(x, n):
    h = x
    k = 0
    while k < n:
        h = tanh(h * 0.9 + sin(h) * 0.2) + x * 0.1
        k += 1
    return sum(h * h)


@export
def t_loop_hessian(x: f64[3], n: i64) -> tuple[f64[3, 3], f64[3]]:
    # Forward over reverse through a while loop with a run-time trip count.
    return hessian(looped_fn)(x, n), grad(looped_fn)(x, n)

# Jacobians past the 4096 passes the frontend used to unroll: a
# spore.jacobian is a loop of passes, whatever its size.
@export
def t_wide(x: f64[5000], m: f64[2, 5000], c: f64[5000]) -> tuple[f64[2, 5000], f64[5000, 3]]:
    tall = lambda v: sin(c * v[0]) + v[1] * v[2] * c
    return jacfwd(lambda v: m @ tanh(v))(x), jacrev(tall)(x[:3])
"""

library, src = compile_shared(SPOREC, source, WORKDIR, "gradients")
P = ctypes.c_void_p


def call(fn, args, outs):
    outs = [np.zeros(s) for s in outs]
    rc = fn(*[np.ascontiguousarray(a).ctypes.data_as(P) for a in args + outs])
    if rc != 0:
        raise RuntimeError("returned %d" % rc)
    return outs


def fd_gradient(f, args, i, h=1e-5):
    """Central differences of the scalar f with respect to args[i]."""
    g = np.zeros(args[i].shape)
    for k in np.ndindex(*args[i].shape):
        plus = [a.copy() for a in args]
        minus = [a.copy() for a in args]
        plus[i][k] += h
        minus[i][k] -= h
        g[k] = (f(plus) - f(minus)) / (2 * h)
    return g


def rel(got, want):
    return np.abs(got - want).max() / max(1.0, np.abs(want).max()) \
        if want.size else 0.0


TOL = 1e-6


def check_case(name, params, wrt, second, args):
    """The problems found for one case on the inputs `args`."""
    idx = [i for i, (p, _, _) in enumerate(params) if p in wrt]
    shapes = [params[i][2] for i in idx]
    v = getattr(library, "gradients_v_" + name)
    g = getattr(library, "gradients_g_" + name)
    value = lambda xs: call(v, xs, [()])[0][()]
    problems = []
    try:
        grads = call(g, args, shapes)
        for gi, i in zip(grads, idx):
            err = rel(gi, fd_gradient(value, args, i))
            if err > TOL:
                problems.append("d/d%s: relative error %.2e" % (params[i][0], err))
            # A random direction.
            d = rng.standard_normal(args[i].shape)
            plus = [a.copy() for a in args]
            minus = [a.copy() for a in args]
            plus[i] = np.asarray(plus[i] + 1e-5 * d)
            minus[i] = np.asarray(minus[i] - 1e-5 * d)
            fd = (value(plus) - value(minus)) / 2e-5
            err = abs(fd - (gi * d).sum()) / max(1.0, abs(fd))
            if err > TOL:
                problems.append("direction d/d%s: relative error %.2e"
                                % (params[i][0], err))
        if name not in REVERSE_ONLY:
            # Forward mode against central differences along the tangents.
            tangents = [rng.standard_normal(args[i].shape) for i in idx]
            moved = lambda sgn: [a + sgn * 1e-5 * tangents[idx.index(k)]
                                 if k in idx else a for k, a in enumerate(args)]
            jv = call(getattr(library, "gradients_j_" + name), args + tangents,
                      [()])[0][()]
            fd = (value(moved(1)) - value(moved(-1))) / 2e-5
            err = abs(jv - fd) / max(1.0, abs(fd))
            if err > TOL:
                problems.append("forward mode: relative error %.2e" % err)
            # Forward over reverse: the jvp of the gradient with respect to the
            # first differentiated parameter, against central differences of
            # the compiled gradient along its tangent.
            i, t0 = idx[0], tangents[0]
            fr = call(getattr(library, "gradients_fr_" + name), args + [t0],
                      [shapes[0]])[0]
            along = lambda sgn: [a + sgn * 1e-5 * t0 if k == i else a
                                 for k, a in enumerate(args)]
            fd = (call(g, along(1), shapes)[0] - call(g, along(-1), shapes)[0]) / 2e-5
            err = rel(fr, fd)
            if err > TOL:
                problems.append("forward over reverse: relative error %.2e" % err)
        if second:
            h = getattr(library, "gradients_h_" + name)
            i = idx[0]
            hess = call(h, args, [shapes[0]])[0]
            inner = lambda xs: np.sin(call(g, xs, shapes)[0]).sum()
            # A smaller step than first order's: the loops' second
            # derivatives are large, and 1e-5 leaves truncation errors
            # near 1e-5 there.
            err = rel(hess, fd_gradient(inner, args, i, h=1e-6))
            if err > TOL:
                problems.append("second order: relative error %.2e" % err)
        # The interpreter on the same inputs.
        out = os.path.join(WORKDIR, "eager_" + name)
        cmd = [SPORE_RUN, "--eager", src, "g_" + name, "--out", out]
        for (p, _, _), a in zip(params, args):
            file = os.path.join(WORKDIR, "%s_%s.npy" % (name, p))
            np.save(file, a)
            cmd += ["--input", "%s=%s" % (p, file)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            problems.append("interpreter: " + proc.stderr.strip())
        else:
            for k, gi in enumerate(grads):
                eager = np.load(os.path.join(out, "g_%s.%d.npy" % (name, k)))
                if rel(gi, eager) > 1e-12:
                    problems.append("interpreter differs by %.2e"
                                    % rel(gi, eager))
    except RuntimeError as e:
        problems.append(str(e))
    return problems


failures = 0
for name, expr, params, wrt, second in CASES:
    problems = []
    # Functions with branches run on several inputs, to take several paths.
    for attempt in range(4 if expr is None else 1):
        args = [np.asarray(make(kind, shape), np.int64 if kind in "ijk"
                           else np.float64) for _, kind, shape in params]
        problems += check_case(name, params, wrt, second, args)
    print(("PASS " if not problems else "FAIL ") + name +
          ("" if not problems else ": " + "; ".join(problems)))
    failures += bool(problems)
a, b = rng.standard_normal(3), rng.standard_normal(3)
da, db = call(library.gradients_stopped, [a, b], [(3,), (3,)])
stopped_ok = rel(da, np.cos(a * b) * b) < 1e-12 and rel(db, a) < 1e-12
print(("PASS " if stopped_ok else "FAIL ") + "stop_gradient")
failures += not stopped_ok
da, db = call(library.gradients_clipped, [a, b], [(3,), (3,)])
pulled = np.clip(3.0 * np.cos(a * b), -0.5, 0.5)
clipped_ok = rel(da, pulled * b) < 1e-12 and rel(db, pulled * a) < 1e-12
print(("PASS " if clipped_ok else "FAIL ") + "custom_vjp gradient clipping")
failures += not clipped_ok


def numpy_jacobian(fn, v, h=1e-6):
    return np.stack([(fn(v + h * e) - fn(v - h * e)) / (2 * h)
                     for e in np.eye(len(v))], axis=-1)


vec = lambda x, w: np.tanh(x * w) * x + w  # noqa: E731
x, w, c, tx, tw = [rng.standard_normal(3) for _ in range(5)]
Jx = numpy_jacobian(lambda v: vec(v, w), x)
Jw = numpy_jacobian(lambda v: vec(x, v), w)
y, gx, gw = call(library.gradients_t_vjp, [x, w, c], [(3,)] * 3)
y2, t_out = call(library.gradients_t_jvp, [x, w, tx, tw], [(3,)] * 2)
jr, jf, hess = call(library.gradients_t_jacobians, [x, w], [(3, 3)] * 3)
hess_want = numpy_jacobian(
    lambda v: np.cos(v) * v * v + 2 * np.sin(v) * v, x)
for what, got, want in [("vjp value", y, vec(x, w)),
                        ("vjp pullback x", gx, Jx.T @ c),
                        ("vjp pullback w", gw, Jw.T @ c),
                        ("jvp value", y2, vec(x, w)),
                        ("jvp tangent", t_out, Jx @ tx + Jw @ tw),
                        ("jacrev", jr, Jx), ("jacfwd", jf, Jw),
                        ("hessian", hess, hess_want)]:
    err = rel(got, want)
    print(("PASS " if err <= TOL else "FAIL ") + what +
          ("" if err <= TOL else ": relative error %.2e" % err))
    failures += err > TOL
# The Hessian through a run-time loop against central differences of the
# compiled gradient, which the checker has verified above.
xl, nl = rng.standard_normal(3), np.array(7, np.int64)
hl, _ = call(library.gradients_t_loop_hessian, [xl, nl], [(3, 3), (3,)])
gl = lambda v: call(library.gradients_t_loop_hessian, [v, nl],
                    [(3, 3), (3,)])[1]
err = rel(hl, numpy_jacobian(gl, xl))
print(("PASS " if err <= TOL else "FAIL ") + "hessian through a while loop" +
      ("" if err <= TOL else ": relative error %.2e" % err))
failures += err > TOL


def looped_numpy(x, n):
    h = x
    for _ in range(n):
        h = np.tanh(h * 0.9 + np.sin(h) * 0.2) + x * 0.1
    return float((h * h).sum())


# And against second differences of the same loop in NumPy (independent of
# the compiler; h = 1e-4 leaves an error near 1e-8, so the bound is 1e-5).
step = 1e-4
eye = np.eye(3) * step
want = np.array([[(looped_numpy(xl + eye[i] + eye[j], 7)
                   - looped_numpy(xl + eye[i] - eye[j], 7)
                   - looped_numpy(xl - eye[i] + eye[j], 7)
                   + looped_numpy(xl - eye[i] - eye[j], 7)) / (4 * step ** 2)
                  for j in range(3)] for i in range(3)])
err = rel(hl, want)
print(("PASS " if err <= 1e-5 else "FAIL ") +
      "hessian through a while loop vs NumPy second differences" +
      ("" if err <= 1e-5 else ": relative error %.2e" % err))
failures += err > 1e-5
xw, mw, cw = (rng.standard_normal(5000), rng.standard_normal((2, 5000)),
              rng.standard_normal(5000))
wide, tall = call(library.gradients_t_wide, [xw, mw, cw],
                  [(2, 5000), (5000, 3)])
v3 = xw[:3]
for what, got, want in [
        ("jacfwd of 5000 inputs", wide, mw * (1 - np.tanh(xw) ** 2)),
        ("jacrev of 5000 outputs", tall,
         np.stack([cw * np.cos(cw * v3[0]), v3[2] * cw, v3[1] * cw], 1))]:
    err = rel(got, want)
    print(("PASS " if err <= TOL else "FAIL ") + what +
          ("" if err <= TOL else ": relative error %.2e" % err))
    failures += err > TOL
a, b = rng.standard_normal(3), rng.standard_normal(3)
with_checkpoints, without = call(library.gradients_t_checkpoint_second,
                                 [a, b], [(3,), (3,)])
err = rel(with_checkpoints, without)
print(("PASS " if err <= 1e-12 else "FAIL ") + "checkpoint second order" +
      ("" if err <= 1e-12 else ": differs by %.2e" % err))
failures += err > 1e-12
print("%d of %d failed" % (failures, len(CASES) + 13))
sys.exit(1 if failures else 0)
