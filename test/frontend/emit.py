# RUN: sporec %s --emit=spore | FileCheck %s
# RUN: sporec %s --emit=spore | spore-opt -verify-each | FileCheck %s --check-prefix=ROUNDTRIP
# The frontend's IR for straight-line code: weak literals take the tensor's
# dtype, broadcasting is explicit, generic functions are specialised per
# argument types, and every op carries its source location.
from spore import *

SCALE = 2


def affine(w, b, x):
    return x @ w + b


# CHECK-LABEL: spore.func @model(
# CHECK-SAME: {spore.name = "x"}
# CHECK-SAME: attributes {spore.export}
@export
def model(x: f32[4, 3], w: f32[3, 2], b: f32[2], v: f64[5]) -> tuple[f32[4, 2], f64, f32[2, 4]]:
    # CHECK: spore.call @affine({{.*}}) : (tensor<3x2xf32>, tensor<2xf32>, tensor<4x3xf32>) -> tensor<4x2xf32> loc([[CALL:#loc[0-9]+]])
    y = affine(w, b, x)
    # CHECK: spore.constant dense<2.000000e+00> : tensor<f32>
    # CHECK: spore.broadcast_to %{{.*}} : tensor<f32> -> tensor<4x2xf32>
    # CHECK: spore.mul
    z = y * SCALE
    # CHECK: spore.sum %{{.*}} axes = [0] : tensor<5xf64> -> tensor<f64>
    s = v.sum(axis=-1)
    # CHECK: spore.transpose %{{.*}} permutation = [1, 0]
    t = tanh(z).T
    # CHECK: spore.return
    return z, s, t


# CHECK-LABEL: spore.func private @affine(
# CHECK: spore.matmul %{{.*}}, %{{.*}} : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
# CHECK: spore.broadcast_to %{{.*}} : tensor<2xf32> -> tensor<4x2xf32>
# CHECK: spore.add
# CHECK: [[CALL]] = loc("{{.*}}emit.py":21:9)

# ROUNDTRIP: spore.func @model
# ROUNDTRIP: spore.func private @affine
