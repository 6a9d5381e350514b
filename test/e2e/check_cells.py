#!/usr/bin/env python3
"""Models written with Cells (test/e2e/cells/): a transformer and a small
CNN compiled to shared libraries, their state created, initialised, saved
and loaded through the generated C functions, and checked against

- NumPy, computing the same model from the Parameters of the saved .npz
  (read with numpy.load, so names and layouts are checked too);
- the reference interpreter (spore-run --eager) on the same state;
- themselves across processes: init + save in one spore-run, load in
  another, identical results.

Damaged or mismatched state files must be refused with a message and
leave the state unchanged; a C program using the generated header must
build and run.

Usage: check_cells.py SPOREC SPORE_RUN CELLS_DIR RUNTIME_LIB RUNTIME_INCLUDE
                      CC WORKDIR
"""
import ctypes
import math
import os
import shutil
import subprocess
import sys
import zipfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import (attention, check_headers, close, conv2d,  # noqa: E402
                       erf, layer_norm, log_softmax, pool2d)

SPOREC, SPORE_RUN, CELLS, RUNTIME, INCLUDE, CC, WORKDIR = sys.argv[1:8]
shutil.rmtree(WORKDIR, ignore_errors=True)
os.makedirs(WORKDIR)
rng = np.random.default_rng(5)
failures = 0


def check(name, ok, why=""):
    global failures
    print("%s %s" % ("PASS" if ok else "FAIL", name) + ("" if ok else ": " + why))
    failures += 0 if ok else 1


def path(name):
    return os.path.join(WORKDIR, name)


P = ctypes.c_void_p


def ptr(a):
    return a.ctypes.data_as(P)


class Model:
    """A compiled model with state, through its C functions."""

    def __init__(self, name):
        self.name = name
        lib = path("lib%s.so" % name)
        proc = subprocess.run([SPOREC, os.path.join(CELLS, name + ".py"),
                               "--shared", "-o", lib],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit("FAIL: sporec %s:\n%s" % (name, proc.stderr))
        check_headers(WORKDIR, name)
        self.lib = ctypes.CDLL(lib)
        self.lib.spore_last_error.restype = ctypes.c_char_p
        self.lib["%s_state_init" % name].argtypes = [P, ctypes.c_uint64]
        self.state = P()
        rc = self.fn("state_create")(ctypes.byref(self.state), None)
        assert rc == 0, self.error()

    def fn(self, suffix):
        return self.lib["%s_%s" % (self.name, suffix)]

    def error(self):
        return self.lib.spore_last_error().decode()

    def destroy(self):
        """Frees the state (LeakSanitizer runs of the suite check it)."""
        self.fn("state_destroy")(self.state)
        self.state = P()

    def init(self, seed):
        return self.fn("state_init")(self.state, seed)

    def save(self, file):
        return self.fn("state_save")(self.state, file.encode())

    def load(self, file):
        return self.fn("state_load")(self.state, file.encode())

    def call(self, entry, inputs, out_shapes, state=None):
        outs = [np.zeros(s, np.float32) for s in out_shapes]
        args = [self.state if state is None else state]
        args += [ptr(a) for a in inputs] + [ptr(o) for o in outs]
        rc = self.fn(entry)(*args)
        return rc, outs


def gelu(x):
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def dense(p, name, x):
    y = x @ p[name + ".weight"]
    return y + p[name + ".bias"] if name + ".bias" in p else y


def gpt(p, ids):
    T, D, H = 8, 32, 4
    x = p["net.tok.weight"][ids] + p["net.pos"]
    for b in range(2):
        pre = "net.blocks.%d." % b
        h = layer_norm(x, p[pre + "ln1.weight"], p[pre + "ln1.bias"])
        q, k, v = [dense(p, pre + "attn." + n, h).reshape(T, H, D // H)
                   .transpose(1, 0, 2) for n in "qkv"]
        y = attention(q, k, v, True).transpose(1, 0, 2).reshape(T, D)
        x = x + dense(p, pre + "attn.o", y)
        h = layer_norm(x, p[pre + "ln2.weight"], p[pre + "ln2.bias"])
        x = x + dense(p, pre + "mlp.2", gelu(dense(p, pre + "mlp.0", h)))
    x = layer_norm(x, p["net.ln.weight"], p["net.ln.bias"])
    return x @ p["net.head.weight"]


def cnn(p, x):
    h = conv2d(x, p["net.conv1.weight"], padding=((1, 1), (1, 1)))
    h = pool2d(np.maximum(h + p["net.conv1.bias"], 0), (2, 2), (2, 2),
               ((0, 0), (0, 0)), "max")
    h = conv2d(h, p["net.conv2.weight"], stride=(2, 2)) + p["net.conv2.bias"]
    h = layer_norm(np.maximum(h, 0), p["net.norm.weight"], p["net.norm.bias"])
    h = np.maximum(dense(p, "net.head.0", h.reshape(2, 32)), 0)
    return log_softmax(dense(p, "net.head.2", h))


def params(file):
    with np.load(file) as z:
        return {k: z[k].astype(np.float64) for k in z.files}


# --- Compiled vs NumPy, from the saved state ------------------------------
gptm, cnnm = Model("transformer"), Model("cnn")
ids = rng.integers(0, 50, 8).astype(np.int32)
targets = rng.integers(0, 50, 8).astype(np.int32)
x = rng.standard_normal((2, 12, 12, 1)).astype(np.float32)
for seed in (0, 12345):
    for m, entry, inputs, shape, ref in (
            (gptm, "logits", [ids], (8, 50), lambda p: gpt(p, ids)),
            (cnnm, "predict", [x], (2, 10), lambda p: cnn(p, x))):
        check("%s init %d" % (m.name, seed), m.init(seed) == 0, m.error())
        file = path("%s_%d.npz" % (m.name, seed))
        check("%s save" % m.name, m.save(file) == 0, m.error())
        rc, (got,) = m.call(entry, inputs, [shape])
        ok, why = close(got, ref(params(file)))
        check("%s %s vs NumPy (seed %d)" % (m.name, entry, seed),
              rc == 0 and ok, why or m.error())
rc, (got,) = gptm.call("loss", [ids, targets], [()])
logp = log_softmax(gpt(params(path("transformer_12345.npz")), ids))
ok, why = close(got, -logp[np.arange(8), targets].mean())
check("transformer loss vs NumPy", rc == 0 and ok, why)

# --- Gradients through the CNN, against finite differences in f64 --------
# For each Parameter, the derivative in a random direction: the compiled
# f32 gradient against central differences of the NumPy CNN.
pc = params(path("cnn_12345.npz"))
cnnm.init(12345)
wc = rng.standard_normal((2, 10)).astype(np.float32)
names = ["net.conv1.weight", "net.conv1.bias", "net.conv2.weight",
         "net.conv2.bias", "net.norm.weight", "net.norm.bias",
         "net.head.0.weight", "net.head.0.bias", "net.head.2.weight",
         "net.head.2.bias"]
rc, got = cnnm.call("grads", [x, wc], [()] + [pc[n].shape for n in names])
cnn_loss = lambda p: float(np.mean(cnn(p, x.astype(np.float64)) * wc))
ok, why = close(got[0], cnn_loss(pc))
check("cnn value_and_grad: value", rc == 0 and ok, why or cnnm.error())
for n, g in zip(names, got[1:]):
    d = rng.standard_normal(pc[n].shape)
    moved = lambda s: {**pc, n: pc[n] + s * 1e-4 * d}
    fd = (cnn_loss(moved(1)) - cnn_loss(moved(-1))) / 2e-4
    err = abs(float((g.astype(np.float64) * d).sum()) - fd) / max(abs(fd), 1e-3)
    check("cnn value_and_grad wrt=net.parameters: %s" % n, err < 2e-3,
          "directional derivative %.6g vs finite differences %.6g"
          % ((g * d).sum(), fd))

# --- A loop in __init__, two instances, a Cell chosen at run time ---------
choice = Model("choice")
choice.init(4)
choice.save(path("choice.npz"))
c = params(path("choice.npz"))
xc = rng.standard_normal((2, 4)).astype(np.float32)
deep = xc.astype(np.float64)
for i in range(3):
    deep = np.tanh(dense(c, "deep.layers.%d" % i, deep))
for flag, want in ((True, deep), (False, dense(c, "shallow", xc))):
    outs = [np.zeros((2, 4), np.float32)]
    rc = choice.fn("f")(choice.state, ptr(xc), ptr(np.array(flag)),
                        ptr(outs[0]))
    ok, why = close(outs[0], want)
    check("choice of a Cell at run time (%s)" % flag, rc == 0 and ok, why)
check("choice: six + two Parameters", sorted(c) == sorted(
    ["deep.layers.%d.%s" % (i, k) for i in range(3)
     for k in ("weight", "bias")] + ["shallow.weight", "shallow.bias"]),
    str(sorted(c)))

# --- Gradients with respect to Parameters (wrt=net.parameters) ----------
train = Model("train")
train.init(3)
train.save(path("train.npz"))
t = params(path("train.npz"))
xt = rng.standard_normal((4, 2)).astype(np.float32)
yt = rng.standard_normal((4, 1)).astype(np.float32)
outs = [np.zeros(s, np.float32) for s in [(), (2, 3), (3,), (3, 1), (1,)]]
rc = train.fn("grads")(train.state, ptr(xt), ptr(yt), *[ptr(o) for o in outs])
# Backpropagation by hand, in f64.
X, Y = xt.astype(np.float64), yt.astype(np.float64)
h = np.tanh(X @ t["net.fc1.weight"] + t["net.fc1.bias"])
out = h @ t["net.fc2.weight"] + t["net.fc2.bias"]
d_out = 2 * (out - Y) / out.size
d_h = d_out @ t["net.fc2.weight"].T * (1 - h ** 2)
want = [((out - Y) ** 2).mean(), X.T @ d_h, d_h.sum(0), h.T @ d_out,
        d_out.sum(0)]
for name, got, w in zip(["loss", "fc1.weight", "fc1.bias", "fc2.weight",
                         "fc2.bias"], outs, want):
    ok, why = close(got, w)
    check("value_and_grad wrt=net.parameters: %s" % name, rc == 0 and ok, why)

# --- Names, layouts and initialisers (language.md §6) ---------------------
p = params(path("cnn_0.npz"))
want = {"net.conv1.weight": (3, 3, 1, 4), "net.conv1.bias": (4,),
        "net.conv2.weight": (3, 3, 4, 8), "net.conv2.bias": (8,),
        "net.norm.weight": (8,), "net.norm.bias": (8,),
        "net.head.0.weight": (32, 16), "net.head.0.bias": (16,),
        "net.head.2.weight": (16, 10), "net.head.2.bias": (10,)}
with zipfile.ZipFile(path("cnn_0.npz")) as z:
    order = [n[:-4] for n in z.namelist()]
check("cnn Parameter names and order", order == list(want), str(order))
check("cnn Parameter shapes",
      {k: v.shape for k, v in p.items()} == want, str(p.keys()))
bound = math.sqrt(6 / (9 * 1 + 9 * 4))
w = p["net.conv1.weight"]
check("xavier_uniform bound of an HWIO filter",
      np.abs(w).max() <= bound and np.abs(w).max() > 0.5 * bound,
      "max |w| %g, bound %g" % (np.abs(w).max(), bound))
check("bias zeros, LayerNorm weight ones",
      not p["net.conv1.bias"].any() and (p["net.norm.weight"] == 1).all())
g = params(path("transformer_0.npz"))
check("transformer has 37 Parameters", len(g) == 37, str(len(g)))
emb, pos = g["net.tok.weight"], g["net.pos"]
check("Embedding ~ normal(1.0)", abs(emb.std() - 1) < 0.1 and
      abs(emb.mean()) < 0.1, "mean %g std %g" % (emb.mean(), emb.std()))
check("normal(0.02)", abs(pos.std() - 0.02) < 0.005, "std %g" % pos.std())
check("Dense(bias=False) saves no bias", "net.head.bias" not in g)
again = Model("cnn")
again.init(0)
again.save(path("cnn_0_again.npz"))
q = params(path("cnn_0_again.npz"))
check("same seed, same values", all((p[k] == q[k]).all() for k in p))
r = params(path("cnn_12345.npz"))
check("another seed, other values",
      not (p["net.conv1.weight"] == r["net.conv1.weight"]).all())

# --- Across processes, and against the interpreter -----------------------
np.save(path("ids.npy"), ids)
np.save(path("x.npy"), x)
cache = path("cache")


def spore_run(model, entry, inputs, out, *flags):
    args = [SPORE_RUN, os.path.join(CELLS, model + ".py"), entry, "--out",
            out, "--cache-dir", cache] + list(flags)
    for name in inputs:  # a parameter, or (parameter, file name)
        param, file = name if isinstance(name, tuple) else (name, name)
        args += ["--input", "%s=%s" % (param, path(file + ".npy"))]
    proc = subprocess.run(args, capture_output=True, text=True)
    return proc.returncode, proc.stderr


np.save(path("xc.npy"), xc)
np.save(path("use_deep.npy"), np.array(True))
for model, entry, inputs in (("transformer", "logits", ["ids"]),
                             ("cnn", "predict", ["x"]),
                             ("choice", "f", [("x", "xc"), "use_deep"])):
    ckpt = path(model + "_run.npz")
    a, b, c = path(model + "_a"), path(model + "_b"), path(model + "_c")
    rc1, err1 = spore_run(model, entry, inputs, a, "--init-state", "77",
                          "--save-state", ckpt)
    rc2, err2 = spore_run(model, entry, inputs, b, "--state", ckpt)
    rc3, err3 = spore_run(model, entry, inputs, c, "--state", ckpt, "--eager")
    check("%s spore-run init/save, load, eager" % model,
          rc1 == rc2 == rc3 == 0, err1 + err2 + err3)
    if rc1 == rc2 == rc3 == 0:
        first = np.load(os.path.join(a, entry + ".0.npy"))
        second = np.load(os.path.join(b, entry + ".0.npy"))
        eager = np.load(os.path.join(c, entry + ".0.npy"))
        check("%s state round trip in a new process is exact" % model,
              first.tobytes() == second.tobytes())
        ok, why = close(first, eager)
        check("%s compiled vs interpreter" % model, ok, why)
rc, err = spore_run("cnn", "predict", ["x"], path("none"))
check("spore-run refuses a stateful model without a state",
      rc == 1 and "--init-state SEED" in err, err)

# --- Refused state files leave the state unchanged ------------------------
good = path("cnn_0.npz")
assert cnnm.load(good) == 0, cnnm.error()
_, (before,) = cnnm.call("predict", [x], [(2, 10)])
data = open(good, "rb").read()
bad = {}
bad["truncated"] = (data[:len(data) // 2], "")
flipped = bytearray(data)
flipped[200] ^= 0xFF
bad["corrupted"] = (bytes(flipped), "")
bad["not a zip"] = (open(path("x.npy"), "rb").read(), "")
with np.load(good) as z:
    arrays = {k: z[k] for k in z.files}
variants = {
    "missing member": ({k: v for k, v in arrays.items()
                        if k != "net.norm.bias"}, "missing"),
    "extra member": (dict(arrays, **{"net.extra": np.zeros(3, np.float32)}),
                     "not a Parameter"),
    "wrong shape": (dict(arrays, **{"net.conv1.bias": np.zeros(5, np.float32)}),
                    "f32[5]"),
    "wrong dtype": (dict(arrays, **{"net.conv1.bias": np.zeros(4)}), "f64[4]"),
}
for name, (members, _) in variants.items():
    file = path("bad.npz")
    np.savez(file, **members)
    bad[name] = (open(file, "rb").read(), variants[name][1])
for name, (content, message) in bad.items():
    file = path("bad_%s.npz" % name.replace(" ", "_"))
    with open(file, "wb") as f:
        f.write(content)
    rc = cnnm.load(file)
    err = cnnm.error()
    _, (after,) = cnnm.call("predict", [x], [(2, 10)])
    check("load refuses %s" % name,
          rc != 0 and err and message in err and
          after.tobytes() == before.tobytes(),
          "rc %d, message %r, state changed: %s"
          % (rc, err, after.tobytes() != before.tobytes()))
rc = cnnm.load(path("does-not-exist.npz"))
check("load refuses a missing file", rc != 0 and cnnm.error(), cnnm.error())

# --- Wrong state arguments -----------------------------------------------
rc, _ = cnnm.call("predict", [x], [(2, 10)], state=P(0))
check("a NULL state fails the call", rc == 1 and "NULL" in cnnm.error(),
      cnnm.error())
rc, _ = cnnm.call("predict", [x], [(2, 10)], state=gptm.state)
check("another model's state fails the call",
      rc == 1 and "another model" in cnnm.error(), cnnm.error())

# --- A C program on the generated header ---------------------------------
obj = path("cnn.o")
proc = subprocess.run([SPOREC, os.path.join(CELLS, "cnn.py"), "-o", obj],
                      capture_output=True, text=True)
driver = path("driver.c")
with open(driver, "w") as f:
    f.write(r"""
#include "cnn.h"
#include <stdio.h>
int main(int argc, char **argv) {
  cnn_state *s = NULL;
  float x[CNN_PREDICT_X_NUMEL], out[CNN_PREDICT_OUT0_NUMEL];
  FILE *in = fopen(argv[1], "rb");
  if (!in || fread(x, sizeof x, 1, in) != 1) return 2;
  fclose(in);
  if (cnn_state_create(&s, NULL) || cnn_state_init(s, 9) ||
      cnn_state_save(s, argv[2]) || cnn_predict(s, x, out)) {
    fprintf(stderr, "%s\n", spore_last_error());
    return 1;
  }
  cnn_state_destroy(s);
  FILE *o = fopen(argv[3], "wb");
  fwrite(out, sizeof out, 1, o);
  fclose(o);
  return 0;
}
""")
exe = path("driver")
link = subprocess.run([CC, driver, obj, "-I", WORKDIR, "-I", INCLUDE,
                       RUNTIME, "-Wl,-rpath," + os.path.dirname(RUNTIME),
                       "-lm", "-o", exe], capture_output=True, text=True)
check("a C driver builds on cnn.h", proc.returncode == 0 and
      link.returncode == 0, proc.stderr + link.stderr)
if link.returncode == 0:
    x.tofile(path("x.bin"))
    run = subprocess.run([exe, path("x.bin"), path("c_state.npz"),
                          path("c_out.bin")], capture_output=True, text=True)
    if run.returncode == 0:
        got = np.fromfile(path("c_out.bin"), np.float32).reshape(2, 10)
        ok, why = close(got, cnn(params(path("c_state.npz")), x))
        check("the C driver matches NumPy", ok, why)
    else:
        check("the C driver runs", False, run.stderr)

for model in (gptm, cnnm, choice, train, again):
    model.destroy()
print("%d failure(s)" % failures)
sys.exit(1 if failures else 0)
