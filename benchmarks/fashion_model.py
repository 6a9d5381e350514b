"""What the training benchmarks share (data_bench.py, step_alloc_bench.py,
train_bench.py, step_bench.py): the Fashion-MNIST MLP trained by Adam as
a Spore module, a reader of Debian's IDX files, and the compilation of a
training module with its state functions."""
import gzip
import os

import numpy as np

DATA = "/usr/share/datasets/fashion-mnist/"


def mlp_adam_source(export, image_shape):
    """The MLP 784-256-10 trained by Adam (lr 1e-3) on batches of 128
    images of `image_shape` (flattened to 784) and i32 labels: an export
    named `export` that updates the state and returns the loss."""
    dims = ", ".join(str(d) for d in (128,) + tuple(image_shape))
    return '''from spore import *


class MLP(Cell):
    def __init__(self):
        self.fc1 = Dense(784, 256)
        self.fc2 = Dense(256, 10)

    def __call__(self, x):
        return self.fc2(relu(self.fc1(reshape(x, (128, 784)))))


net = MLP()
opt = Adam(net, lr=1e-3)


@export
def %s(x: f32[%s], y: i32[128]) -> f32:
    loss, g = value_and_grad(lambda: cross_entropy(net(x), y),
                             wrt=net.parameters)()
    opt.update(g)
    return loss
''' % (export, dims)


def read_idx(name):
    """An IDX file of DATA (gzip) as a uint8 array."""
    with gzip.open(os.path.join(DATA, name)) as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big")
             for i in range(dims)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


def compile_model(sporec, workdir, name, source):
    """Compiles `source` as module `name` into a shared library in workdir
    and loads it, with the argument types of its state functions and of
    its train_step set; exits with sporec's errors on failure."""
    import ctypes
    import subprocess
    import sys

    src = os.path.join(workdir, name + ".py")
    lib_path = os.path.join(workdir, "lib%s.so" % name)
    with open(src, "w") as f:
        f.write(source)
    proc = subprocess.run([sporec, src, "--shared", "-o", lib_path],
                          capture_output=True, text=True)
    if proc.returncode:
        sys.exit("FAIL: sporec:\n" + proc.stderr)
    lib = ctypes.CDLL(lib_path)
    P = ctypes.c_void_p
    lib[name + "_state_init"].argtypes = [P, ctypes.c_uint64]
    lib[name + "_state_save"].argtypes = [P, ctypes.c_char_p]
    lib[name + "_state_destroy"].argtypes = [P]
    if hasattr(lib, name + "_train_step"):
        lib[name + "_train_step"].argtypes = [P, P, P, P]
    return lib
