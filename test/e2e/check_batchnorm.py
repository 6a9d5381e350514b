#!/usr/bin/env python3
"""Layers with state (training.md §1): BatchNorm1d and BatchNorm2d against
torch.nn.BatchNorm, in training and in evaluation.

- An MLP with a BatchNorm1d trains for 12 steps with SGD and momentum:
  its `train_step` normalises by the batch and updates the running
  statistics from inside the differentiated function, as PyTorch's
  forward does; after every step the Parameters, the moments and the
  running statistics equal PyTorch's. Its `predict` export normalises by
  the running statistics (eval mode) and equals PyTorch's eval forward.
- A BatchNorm2d on NHWC images: one training step's loss, gradients and
  running statistics, then an evaluation, against PyTorch on NCHW.
- The running statistics are state (saved, `net.bn.running_mean`) but not
  trainable: `net.parameters` and the optimizer's moments leave them out.
- A counter (integer state) counts the steps.

Usage: check_batchnorm.py SPOREC WORKDIR
"""
import ctypes
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import compile_shared  # noqa: E402

try:
    import torch
except ImportError:
    sys.exit("FAIL: PyTorch is not installed (scripts/setup --tests "
             "installs Debian's python3-torch, the reference)")

SPOREC, WORKDIR = sys.argv[1:3]
os.makedirs(WORKDIR, exist_ok=True)
P = ctypes.c_void_p
torch.set_default_dtype(torch.float32)

MLP = '''from spore import *


class Net(Cell):
    def __init__(self):
        self.fc1 = Dense(6, 8)
        self.bn = BatchNorm1d(8, momentum=0.2)
        self.fc2 = Dense(8, 3)
        self.steps = Parameter(zeros((), dtype=i32), trainable=False)

    def __call__(self, x, training=False):
        return self.fc2(relu(self.bn(self.fc1(x), training=training)))


net = Net()
opt = SGD(net, lr=0.1, momentum=0.9)


@export
def train_step(x: f32[16, 6], y: f32[16, 3]) -> f32:
    loss, g = value_and_grad(lambda: mean((net(x, training=True) - y) ** 2),
                             wrt=net.parameters)()
    opt.update(g)
    assign(net.steps, net.steps + 1)
    return loss


@export
def predict(x: f32[16, 6]) -> f32[16, 3]:
    return net(x)
'''

IMAGES = '''from spore import *


class Net(Cell):
    def __init__(self):
        self.bn = BatchNorm2d(3)

    def __call__(self, x, training=False):
        return self.bn(x, training=training)


net = Net()


@export
def train_step(x: f32[4, 5, 5, 3], t: f32[4, 5, 5, 3]) -> tuple[f32, f32[3], f32[3]]:
    loss, g = value_and_grad(lambda: sum((net(x, training=True) - t) ** 2),
                             wrt=net.parameters)()
    return loss, g[0], g[1]


@export
def predict(x: f32[4, 5, 5, 3]) -> f32[4, 5, 5, 3]:
    return net(x)
'''

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def close(a, b, what, tol=2e-5):
    err = float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
    check(err <= tol * max(1.0, float(np.max(np.abs(b)))),
          "%s differs from torch by %.3g" % (what, err))
    return err


class Model:
    def __init__(self, name, source):
        self.name = name
        self.lib, _ = compile_shared(SPOREC, source, WORKDIR, name)
        self.lib.spore_last_error.restype = ctypes.c_char_p
        self.fn("state_init").argtypes = [P, ctypes.c_uint64]
        self.fn("state_save").argtypes = [P, ctypes.c_char_p]
        self.fn("state_destroy").argtypes = [P]
        self.s = P()
        assert self.fn("state_create")(ctypes.byref(self.s), None) == 0
        assert self.fn("state_init")(self.s, 5) == 0

    def fn(self, suffix):
        return self.lib["%s_%s" % (self.name, suffix)]

    def state(self):
        path = os.path.join(WORKDIR, self.name + ".npz")
        assert self.fn("state_save")(self.s, path.encode()) == 0
        with np.load(path) as z:
            return {k: z[k] for k in z.files}

    def call(self, entry, inputs, outs):
        args = [self.s] + [a.ctypes.data_as(P) for a in inputs + outs]
        rc = self.fn(entry)(*args)
        assert rc == 0, self.lib.spore_last_error().decode()
        return outs


# An MLP with a BatchNorm1d, trained.
m = Model("bn_mlp", MLP)
init = m.state()
expected = {"net.fc1.weight", "net.fc1.bias", "net.bn.weight", "net.bn.bias",
            "net.bn.running_mean", "net.bn.running_var", "net.fc2.weight",
            "net.fc2.bias", "net.steps", "opt.step"}
expected |= {"opt.m." + n for n in ("net.fc1.weight", "net.fc1.bias",
                                    "net.bn.weight", "net.bn.bias",
                                    "net.fc2.weight", "net.fc2.bias")}
check(set(init) == expected, "state names: %s" % sorted(set(init) ^ expected))
check(np.all(init["net.bn.running_var"] == 1) and
      np.all(init["net.bn.running_mean"] == 0), "running statistics' init")

fc1 = torch.nn.Linear(6, 8)
bn = torch.nn.BatchNorm1d(8, momentum=0.2)
fc2 = torch.nn.Linear(8, 3)
with torch.no_grad():
    fc1.weight.copy_(torch.tensor(init["net.fc1.weight"].T))
    fc1.bias.copy_(torch.tensor(init["net.fc1.bias"]))
    fc2.weight.copy_(torch.tensor(init["net.fc2.weight"].T))
    fc2.bias.copy_(torch.tensor(init["net.fc2.bias"]))
tnet = torch.nn.Sequential(fc1, bn, torch.nn.ReLU(), fc2)
topt = torch.optim.SGD(tnet.parameters(), lr=0.1, momentum=0.9)
rng = np.random.default_rng(1)
worst = 0.0
for k in range(12):
    x = (rng.standard_normal((16, 6)) * 2 + 1).astype(np.float32)
    y = rng.standard_normal((16, 3)).astype(np.float32)
    loss = np.zeros((), np.float32)
    m.call("train_step", [x, y], [loss])
    tnet.train()
    topt.zero_grad()
    tloss = torch.mean((tnet(torch.tensor(x)) - torch.tensor(y)) ** 2)
    tloss.backward()
    topt.step()
    st = m.state()
    close(loss, tloss.item(), "step %d: loss" % k)
    for name, ref in (("net.fc1.weight", fc1.weight.detach().numpy().T),
                      ("net.bn.weight", bn.weight.detach().numpy()),
                      ("net.bn.bias", bn.bias.detach().numpy()),
                      ("net.bn.running_mean", bn.running_mean.numpy()),
                      ("net.bn.running_var", bn.running_var.numpy()),
                      ("net.fc2.weight", fc2.weight.detach().numpy().T)):
        worst = max(worst, close(st[name], ref, "step %d: %s" % (k, name)))
    check(int(st["net.steps"]) == k + 1 and int(st["opt.step"]) == k + 1,
          "step %d: counters %r %r" % (k, st["net.steps"], st["opt.step"]))
print("BatchNorm1d MLP, 12 SGD steps: max |spore - torch| = %.2g" % worst)
tnet.eval()
x = rng.standard_normal((16, 6)).astype(np.float32)
out = np.zeros((16, 3), np.float32)
m.call("predict", [x], [out])
close(out, tnet(torch.tensor(x)).detach().numpy(), "eval-mode predict")
before = m.state()
m.call("predict", [x], [out])
check(all(before[n].tobytes() == m.state()[n].tobytes() for n in before),
      "an evaluation export changed the state")
print("BatchNorm1d in evaluation uses the running statistics")
m.fn("state_destroy")(m.s)

# A BatchNorm2d on NHWC images: one training step, then evaluation.
m = Model("bn_images", IMAGES)
x = (rng.standard_normal((4, 5, 5, 3)) * 3 - 1).astype(np.float32)
t = rng.standard_normal((4, 5, 5, 3)).astype(np.float32)
loss, gw, gb = (np.zeros((), np.float32), np.zeros(3, np.float32),
                np.zeros(3, np.float32))
m.call("train_step", [x, t], [loss, gw, gb])
tbn = torch.nn.BatchNorm2d(3)
tx = torch.tensor(x.transpose(0, 3, 1, 2))
tt = torch.tensor(t.transpose(0, 3, 1, 2))
tl = torch.sum((tbn(tx) - tt) ** 2)
tl.backward()
close(loss, tl.item(), "BatchNorm2d loss")
close(gw, tbn.weight.grad.numpy(), "BatchNorm2d weight gradient", 1e-4)
close(gb, tbn.bias.grad.numpy(), "BatchNorm2d bias gradient", 1e-4)
st = m.state()
close(st["net.bn.running_mean"], tbn.running_mean.numpy(),
      "BatchNorm2d running mean")
close(st["net.bn.running_var"], tbn.running_var.numpy(),
      "BatchNorm2d running variance")
tbn.eval()
out = np.zeros_like(x)
m.call("predict", [x], [out])
close(out, tbn(tx).detach().numpy().transpose(0, 2, 3, 1),
      "BatchNorm2d evaluation")
print("BatchNorm2d (NHWC) matches torch.nn.BatchNorm2d (NCHW)")
m.fn("state_destroy")(m.s)

if failures:
    sys.exit("FAIL: %d checks failed" % len(failures))
print("PASS")
