# A two-layer perceptron: the demo model of the README.
from spore import *

N_IN = 784
N_HIDDEN = 256
N_OUT = 10
BATCH = 64


def dense(w, b, x):
    return x @ w + b


@export
def predict(w1: f32[N_IN, N_HIDDEN], b1: f32[N_HIDDEN],
            w2: f32[N_HIDDEN, N_OUT], b2: f32[N_OUT],
            x: f32[BATCH, N_IN]) -> f32[BATCH, N_OUT]:
    h = relu(dense(w1, b1, x))
    return softmax(dense(w2, b2, h), axis=-1)
