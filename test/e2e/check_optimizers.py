#!/usr/bin/env python3
"""Optimizers, clipping and schedules against torch.optim (training.md §1).

Each case compiles a small MLP with one optimizer configuration and a
`train_step` export that updates the state, then trains it for 32 steps
on fixed batches from the same initial state as a PyTorch copy of the
model trained by the torch.optim class of the same name (with
torch.nn.utils clipping and torch.optim.lr_scheduler schedules), and
compares every Parameter after every step. Also checked:

- the optimizer's moments and step counter are state under their
  documented names (`opt.step`, `opt.m.net.fc1.weight`, ...);
- a run split by save and load equals the uninterrupted run bit for bit;
- a call that fails after the update (an assert) leaves the state exactly
  as it was;
- the reference interpreter (spore-run --eager) makes the same update as
  the compiled step, also for updates through a while loop left by
  break, a recursion and a lambda.

Usage: check_optimizers.py SPOREC SPORE_RUN WORKDIR
"""
import ctypes
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import compile_shared  # noqa: E402

try:
    import warnings

    import torch
    # SequentialLR steps its second schedule with an epoch (torch 1.13).
    warnings.filterwarnings("ignore", category=UserWarning,
                            module="torch.optim.lr_scheduler")
except ImportError:
    # scripts/test installs python3-torch (scripts/setup --tests).
    sys.exit("FAIL: PyTorch is not installed (scripts/setup --tests "
             "installs Debian's python3-torch, the reference)")

SPOREC, SPORE_RUN, WORKDIR = sys.argv[1:4]
os.makedirs(WORKDIR, exist_ok=True)
P = ctypes.c_void_p
STEPS = 32
B, DIN, DH, DOUT = 16, 6, 8, 3

MODEL = '''from spore import *


class MLP(Cell):
    def __init__(self):
        self.fc1 = Dense({din}, {dh})
        self.fc2 = Dense({dh}, {dout})

    def __call__(self, x):
        return self.fc2(tanh(self.fc1(x)))


net = MLP()
opt = {opt}


@export
def train_step(x: f32[{b}, {din}], y: f32[{b}, {dout}]) -> f32:
    loss, g = value_and_grad(lambda: mean((net(x) - y) ** 2),
                             wrt=net.parameters)()
    opt.update({clip})
    return loss


@export
def failing_step(x: f32[{b}, {din}], y: f32[{b}, {dout}], k: i32) -> f32:
    loss, g = value_and_grad(lambda: mean((net(x) - y) ** 2),
                             wrt=net.parameters)()
    opt.update(g)
    assert k == 0, "k is not 0"
    return loss
'''

NAMES = ["net.fc1.weight", "net.fc1.bias", "net.fc2.weight", "net.fc2.bias"]

# (name, Spore optimizer, Spore clipping of g, torch optimizer factory,
#  torch clipping, torch scheduler factory)
T = torch.optim
S = T.lr_scheduler
CASES = [
    ("sgd", "SGD(net, lr=0.1)", "g",
     lambda p: T.SGD(p, lr=0.1), None, None),
    ("sgd_momentum_wd", "SGD(net, lr=0.05, momentum=0.9, weight_decay=1e-3)",
     "g", lambda p: T.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-3),
     None, None),
    ("sgd_nesterov", "SGD(net, lr=0.05, momentum=0.9, nesterov=True)", "g",
     lambda p: T.SGD(p, lr=0.05, momentum=0.9, nesterov=True), None, None),
    ("sgd_dampening", "SGD(net, lr=0.05, momentum=0.8, dampening=0.1)", "g",
     lambda p: T.SGD(p, lr=0.05, momentum=0.8, dampening=0.1), None, None),
    ("momentum", "Momentum(net, lr=0.05, momentum=0.9)", "g",
     lambda p: T.SGD(p, lr=0.05, momentum=0.9), None, None),
    ("adam", "Adam(net, lr=1e-2)", "g", lambda p: T.Adam(p, lr=1e-2),
     None, None),
    ("adam_wd", "Adam(net, lr=1e-2, betas=(0.8, 0.99), eps=1e-6, "
     "weight_decay=1e-2)", "g",
     lambda p: T.Adam(p, lr=1e-2, betas=(0.8, 0.99), eps=1e-6,
                      weight_decay=1e-2), None, None),
    ("adamw", "AdamW(net, lr=1e-2)", "g", lambda p: T.AdamW(p, lr=1e-2),
     None, None),
    ("adamw_wd", "AdamW(net, lr=2e-2, weight_decay=0.1)", "g",
     lambda p: T.AdamW(p, lr=2e-2, weight_decay=0.1), None, None),
    ("rmsprop", "RMSProp(net)", "g", lambda p: T.RMSprop(p), None, None),
    ("rmsprop_centered", "RMSProp(net, lr=1e-3, alpha=0.9, momentum=0.9, "
     "centered=True, weight_decay=1e-3)", "g",
     lambda p: T.RMSprop(p, lr=1e-3, alpha=0.9, momentum=0.9, centered=True,
                         weight_decay=1e-3), None, None),
    ("adagrad", "Adagrad(net, lr=0.1)", "g", lambda p: T.Adagrad(p, lr=0.1),
     None, None),
    ("adagrad_decay", "Adagrad(net, lr=0.1, lr_decay=0.01, weight_decay=1e-3, "
     "initial_accumulator_value=0.1)", "g",
     lambda p: T.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=1e-3,
                         initial_accumulator_value=0.1), None, None),
    ("clip_norm", "SGD(net, lr=0.2)", "clip_by_global_norm(g, 0.05)",
     lambda p: T.SGD(p, lr=0.2),
     lambda p: torch.nn.utils.clip_grad_norm_(p, 0.05), None),
    ("clip_value", "Adam(net, lr=1e-2)", "clip_by_value(g, 0.01)",
     lambda p: T.Adam(p, lr=1e-2),
     lambda p: torch.nn.utils.clip_grad_value_(p, 0.01), None),
    ("constant", "SGD(net, lr=constant(0.1), momentum=0.5)", "g",
     lambda p: T.SGD(p, lr=0.1, momentum=0.5), None, None),
    ("step_decay", "SGD(net, lr=step_decay(0.1, 7, 0.5), momentum=0.5)", "g",
     lambda p: T.SGD(p, lr=0.1, momentum=0.5), None,
     lambda o: S.StepLR(o, step_size=7, gamma=0.5)),
    ("exponential_decay",
     "SGD(net, lr=exponential_decay(0.1, 0.9), momentum=0.5)", "g",
     lambda p: T.SGD(p, lr=0.1, momentum=0.5), None,
     lambda o: S.ExponentialLR(o, gamma=0.9)),
    ("linear_warmup", "Adam(net, lr=linear_warmup(1e-2, 10, 0.1))", "g",
     lambda p: T.Adam(p, lr=1e-2), None,
     lambda o: S.LinearLR(o, start_factor=0.1, total_iters=10)),
    # Linear from (almost) 0 over 5 updates, then a cosine to 0 at the
    # last step (after it, CosineAnnealingLR rises again where
    # warmup_cosine stays at its final value, as Optax's does).
    ("warmup_cosine", "AdamW(net, lr=warmup_cosine(1e-2, 5, %d))" % STEPS,
     "g", lambda p: T.AdamW(p, lr=1e-2), None,
     lambda o: S.SequentialLR(o, [
         S.LinearLR(o, start_factor=1e-12, total_iters=5),
         S.CosineAnnealingLR(o, T_max=STEPS - 5)], milestones=[5])),
]


class Model:
    def __init__(self, name, opt, clip):
        source = MODEL.format(b=B, din=DIN, dh=DH, dout=DOUT, opt=opt,
                              clip=clip)
        self.name = name
        self.lib, self.src = compile_shared(SPOREC, source, WORKDIR, name)
        self.lib.spore_last_error.restype = ctypes.c_char_p
        self.fn("state_init").argtypes = [P, ctypes.c_uint64]
        self.fn("state_save").argtypes = [P, ctypes.c_char_p]
        self.fn("state_load").argtypes = [P, ctypes.c_char_p]
        self.fn("state_destroy").argtypes = [P]
        self.fn("train_step").argtypes = [P, P, P, P]
        self.fn("failing_step").argtypes = [P, P, P, P, P]

    def fn(self, suffix):
        return self.lib["%s_%s" % (self.name, suffix)]

    def state(self):
        s = P()
        assert self.fn("state_create")(ctypes.byref(s), None) == 0
        return s

    def save(self, s, path):
        assert self.fn("state_save")(s, path.encode()) == 0
        with np.load(path) as z:
            return {k: z[k] for k in z.files}

    def step(self, s, x, y):
        out = np.zeros((), np.float32)
        rc = self.fn("train_step")(s, x.ctypes.data_as(P), y.ctypes.data_as(P),
                                   out.ctypes.data_as(P))
        assert rc == 0, self.lib.spore_last_error().decode()
        return float(out)


def batches(seed):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((DIN, DOUT))
    out = []
    for _ in range(STEPS):
        x = rng.standard_normal((B, DIN)).astype(np.float32)
        y = (np.sin(x @ w) + 0.1 * rng.standard_normal((B, DOUT))).astype(
            np.float32)
        out.append((x, y))
    return out


def torch_run(init, data, make_opt, clip, make_sched):
    params = [torch.nn.Parameter(torch.tensor(init[n])) for n in NAMES]
    opt = make_opt(params)
    sched = make_sched(opt) if make_sched else None
    trajectory = []
    for x, y in data:
        opt.zero_grad()
        h = torch.tanh(torch.tensor(x) @ params[0] + params[1])
        loss = torch.mean((h @ params[2] + params[3] - torch.tensor(y)) ** 2)
        loss.backward()
        if clip:
            clip(params)
        opt.step()
        if sched:
            sched.step()
        trajectory.append(
            (float(loss), [p.detach().numpy().copy() for p in params]))
    return trajectory


failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


data = batches(3)
for case, opt, clip, make_opt, torch_clip, make_sched in CASES:
    model = Model(case, opt, clip)
    s = model.state()
    assert model.fn("state_init")(s, 7) == 0
    ckpt = os.path.join(WORKDIR, case + ".npz")
    init = model.save(s, ckpt)
    reference = torch_run(init, data, make_opt, torch_clip, make_sched)
    worst = 0.0
    for k, ((x, y), (ref_loss, ref_params)) in enumerate(zip(data,
                                                             reference)):
        loss = model.step(s, x, y)
        state = model.save(s, ckpt)
        check(abs(loss - ref_loss) <= 1e-5 * max(1.0, abs(ref_loss)),
              "%s step %d: loss %r, torch %r" % (case, k, loss, ref_loss))
        check(int(state["opt.step"]) == k + 1,
              "%s step %d: opt.step is %r" % (case, k, state["opt.step"]))
        for n, ref in zip(NAMES, ref_params):
            err = float(np.max(np.abs(state[n] - ref)))
            worst = max(worst, err)
            if err > 2e-5 + 1e-4 * float(np.max(np.abs(ref))):
                check(False, "%s step %d: %s differs from torch by %.3g" %
                      (case, k, n, err))
                break
    print("%-18s %d steps, max |spore - torch| = %.2g" % (case, STEPS, worst))
    model.fn("state_destroy")(s)

# The state's names, and a run split by save/load equals the whole run.
model = Model("split", "AdamW(net, lr=warmup_cosine(1e-2, 5, 25))",
              "clip_by_global_norm(g, 0.5)")
whole, first = model.state(), model.state()
for s in (whole, first):
    assert model.fn("state_init")(s, 11) == 0
names = sorted(model.save(whole, os.path.join(WORKDIR, "names.npz")))
expected = sorted(["opt.step"] + NAMES + ["opt.m." + n for n in NAMES] +
                  ["opt.v." + n for n in NAMES])
check(names == expected, "state names %s, expected %s" % (names, expected))
for x, y in data:
    model.step(whole, x, y)
for x, y in data[:STEPS // 2]:
    model.step(first, x, y)
half = os.path.join(WORKDIR, "half.npz")
model.save(first, half)
model.fn("state_destroy")(first)
second = model.state()
assert model.fn("state_load")(second, half.encode()) == 0
for x, y in data[STEPS // 2:]:
    model.step(second, x, y)
a = model.save(whole, os.path.join(WORKDIR, "whole.npz"))
b = model.save(second, os.path.join(WORKDIR, "second.npz"))
for n in expected:
    check(a[n].tobytes() == b[n].tobytes(),
          "split run: %s differs from the uninterrupted run" % n)
print("save/load split run: bit-identical over %d Parameters" % len(expected))

# A failing call leaves the state exactly as it was.
before = model.save(second, os.path.join(WORKDIR, "before.npz"))
x, y = data[0]
out = np.zeros((), np.float32)
k = np.array(1, np.int32)
rc = model.fn("failing_step")(second, x.ctypes.data_as(P), y.ctypes.data_as(P),
                              k.ctypes.data_as(P), out.ctypes.data_as(P))
check(rc != 0, "failing_step with k = 1 returned 0")
check("k is not 0" in model.lib.spore_last_error().decode(),
      "failing_step's message: %r" % model.lib.spore_last_error())
after = model.save(second, os.path.join(WORKDIR, "after.npz"))
for n in expected:
    check(before[n].tobytes() == after[n].tobytes(),
          "a failing call changed %s" % n)
k[...] = 0
rc = model.fn("failing_step")(second, x.ctypes.data_as(P), y.ctypes.data_as(P),
                              k.ctypes.data_as(P), out.ctypes.data_as(P))
check(rc == 0, "failing_step with k = 0 failed")
check(int(model.save(second, os.path.join(WORKDIR, "ok.npz"))["opt.step"]) ==
      STEPS + 1, "failing_step with k = 0 did not update")
print("a failing call leaves the state unchanged")

# The interpreter makes the same update as the compiled code.
np.save(os.path.join(WORKDIR, "x.npy"), x)
np.save(os.path.join(WORKDIR, "y.npy"), y)
results = {}
for mode in ("compiled", "eager"):
    saved = os.path.join(WORKDIR, "run_%s.npz" % mode)
    cmd = [SPORE_RUN, model.src, "train_step", "--state", half,
           "--input", "x=" + os.path.join(WORKDIR, "x.npy"),
           "y=" + os.path.join(WORKDIR, "y.npy"), "--save-state", saved,
           "--out", os.path.join(WORKDIR, mode)]
    if mode == "eager":
        cmd.append("--eager")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    check(proc.returncode == 0, "spore-run %s: %s" % (mode, proc.stderr))
    if proc.returncode == 0:
        with np.load(saved) as z:
            results[mode] = {n: z[n] for n in z.files}
if len(results) == 2:
    for n in expected:
        check(np.allclose(results["compiled"][n], results["eager"][n],
                          rtol=1e-5, atol=1e-6),
              "spore-run --eager and compiled differ in %s" % n)
    check(int(results["eager"]["opt.step"]) == STEPS // 2 + 1,
          "spore-run --eager did not update opt.step")
    print("spore-run --eager updates the state as the compiled step does")

# Updates through a while loop left by break, a recursion, a lambda given
# to a higher-order function and a called function: the last assign wins,
# reads see the entry state, compiled and interpreted alike.
FLOW = """from spore import *


class C(Cell):
    def __init__(self):
        self.n = Parameter(zeros((), dtype=i64))
        self.w = Parameter(zeros((3,)))


c = C()


def bump(k):
    assign(c.n, c.n + k)
    return k


def rec(x, k):
    if k == 0:
        return x
    assign(c.w, x * 2.0)
    return rec(x + 1.0, k - 1)


def apply(f, v):
    return f(v)


@export
def step(x: f32[3], k: i64) -> f32[3]:
    i = 0
    while i < 10:
        if i == k:
            bump(i)
            break
        i = i + 1
    y = rec(x, k)
    z = apply(lambda v: v + bump(5), 1)
    return y
"""
flow = os.path.join(WORKDIR, "flow.py")
with open(flow, "w") as f:
    f.write(FLOW)
np.save(os.path.join(WORKDIR, "fx.npy"), np.array([1, 2, 3], np.float32))
np.save(os.path.join(WORKDIR, "fk.npy"), np.array(3))
for mode in ("compiled", "eager"):
    saved = os.path.join(WORKDIR, "flow_%s.npz" % mode)
    cmd = [SPORE_RUN, flow, "step", "--init-state", "1", "--input",
           "x=" + os.path.join(WORKDIR, "fx.npy"),
           "k=" + os.path.join(WORKDIR, "fk.npy"), "--save-state", saved,
           "--out", os.path.join(WORKDIR, "flow_" + mode)]
    proc = subprocess.run(cmd + (["--eager"] if mode == "eager" else []),
                          capture_output=True, text=True)
    check(proc.returncode == 0, "flow %s: %s" % (mode, proc.stderr))
    if proc.returncode:
        continue
    with np.load(saved) as z:
        # bump(3) in the loop, then bump(5) in the lambda: c.n = 0 + 5;
        # rec assigns x * 2 at x = 1, 2, 3 (+ [0, 1, 2]): the last wins.
        check(int(z["c.n"]) == 5, "flow %s: c.n = %r" % (mode, z["c.n"]))
        check(np.array_equal(z["c.w"], [6, 8, 10]),
              "flow %s: c.w = %r" % (mode, z["c.w"]))
    out = np.load(os.path.join(WORKDIR, "flow_" + mode, "step.0.npy"))
    check(np.array_equal(out, [4, 5, 6]), "flow %s: result %r" % (mode, out))
print("updates through loops, recursion and closures: compiled and eager")

# SGD on weight gradients of the sizes that spore-accumulate-updates
# turns into products accumulated onto the weight (vectorised tiles,
# chunks on threads, packed panels), against float64: w - lr * x^T g.
LINEAR = """from spore import *


class Linear(Cell):
    def __init__(self):
        self.w = Parameter(zeros(({din}, {dout})))

    def __call__(self, x):
        return x @ self.w


net = Linear()
opt = SGD(net, lr=0.05)


@export
def train_step(x: f32[{b}, {din}], y: f32[{b}, {dout}]) -> f32:
    loss, g = value_and_grad(lambda: mean((net(x) - y) ** 2),
                             wrt=net.parameters)()
    opt.update(g)
    return loss
"""
for b, din, dout in ((8, 64, 96), (16, 256, 512), (16, 784, 1024),
                     (64, 1024, 256)):
    name = "linear_%d_%d_%d" % (b, din, dout)
    lib, _ = compile_shared(
        SPOREC, LINEAR.format(b=b, din=din, dout=dout), WORKDIR, name)
    lib.spore_last_error.restype = ctypes.c_char_p
    fn = lambda suffix: lib["%s_%s" % (name, suffix)]  # noqa: E731
    rng = np.random.default_rng(b + din)
    w = rng.standard_normal((din, dout)).astype(np.float32)
    npz = os.path.join(WORKDIR, name + ".npz")
    np.savez(npz, **{"net.w": w, "opt.step": np.array(0, np.int64)})
    s = P()
    assert fn("state_create")(ctypes.byref(s), None) == 0
    fn("state_load").argtypes = [P, ctypes.c_char_p]
    fn("state_save").argtypes = [P, ctypes.c_char_p]
    assert fn("state_load")(s, npz.encode()) == 0, lib.spore_last_error()
    ref = w.astype(np.float64)
    for step in range(3):
        x = rng.standard_normal((b, din)).astype(np.float32)
        y = rng.standard_normal((b, dout)).astype(np.float32)
        out = np.zeros((), np.float32)
        fn("train_step").argtypes = [P, P, P, P]
        assert fn("train_step")(s, x.ctypes.data_as(P), y.ctypes.data_as(P),
                                out.ctypes.data_as(P)) == 0
        x64 = x.astype(np.float64)
        r = x64 @ ref - y
        ref = ref - 0.05 * (x64.T @ (2.0 * r / r.size))
    assert fn("state_save")(s, npz.encode()) == 0
    with np.load(npz) as z:
        got = z["net.w"]
    err = float(np.max(np.abs(got - ref)) / np.max(np.abs(ref)))
    check(err < 1e-5, "%s: SGD steps differ from float64 by %.2g" %
          (name, err))
    fn("state_destroy").argtypes = [P]
    fn("state_destroy")(s)
print("SGD steps on weight gradients accumulated onto the weight: float64")

for s in (whole, second):
    model.fn("state_destroy")(s)
if failures:
    sys.exit("FAIL: %d checks failed" % len(failures))
print("PASS")
