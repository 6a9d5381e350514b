# A model with state: spore-run needs exactly one of --state and
# --init-state, checks the seed, refuses a bad checkpoint with the
# runtime's message, and writes the state with --save-state.
# RUN: rm -rf %t && mkdir -p %t
# RUN: %python -c "import numpy as np; np.save('%t/x.npy', np.array([1, 2, 3], np.float32))"
# RUN: not spore-run %s f --input x=%t/x.npy 2>&1 | FileCheck %s --check-prefix=NONE
# NONE: spore-run: error: '{{.*}}state.py' has state (2 Parameters): give exactly one of --state ckpt.npz and --init-state SEED
# RUN: not spore-run %s f --input x=%t/x.npy --init-state 1 --state %t/s.npz 2>&1 | FileCheck %s --check-prefix=NONE
# RUN: not spore-run %s f --input x=%t/x.npy --init-state -4 2>&1 | FileCheck %s --check-prefix=SEED
# SEED: spore-run: error: --init-state '-4' is not an unsigned 64-bit integer
# RUN: not spore-run %s f --input x=%t/x.npy --state %t/x.npy 2>&1 | FileCheck %s --check-prefix=BAD
# BAD: spore-run: error: {{.*}}x.npy: not a valid .npz
# RUN: spore-run %s f --input x=%t/x.npy --init-state 3 --save-state %t/s.npz --cache-dir %t/cache --out %t
# RUN: spore-run %s f --input x=%t/x.npy --state %t/s.npz --eager --out %t/eager
# RUN: cmp %t/f.0.npy %t/eager/f.0.npy
from spore import *


class Scale(Cell):
    def __init__(self, n: int):
        self.gain = Parameter(ones((n,)))
        self.shift = Parameter(full((n,), 0.5))

    def __call__(self, x):
        return x * self.gain + self.shift


net = Scale(3)


@export
def f(x: f32[3]) -> f32[3]:
    return net(x)
