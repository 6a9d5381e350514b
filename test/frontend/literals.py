# RUN: sporec %s --emit=spore --no-locations | FileCheck %s
# Weak literals (language.md §2): a primitive of literals is folded in
# double precision and takes the dtype of the tensor it meets; a weak float
# meeting an integer stays weak, and converts where it meets f64.
from spore import *


# CHECK-LABEL: spore.func @folded(
# CHECK-DAG: spore.constant dense<0.47942553860420301> : tensor<f64>
# CHECK-DAG: spore.constant dense<0.2689414213699951> : tensor<f64>
# CHECK-NOT: tensor<f32>
# CHECK: spore.return
@export
def folded(x: f64[4]) -> f64[4]:
    return tanh(x) * sigmoid(-1.0) + (x + sin(0.5))


# The loop index meets 1.0 as f32 (weak), which converts to x's f64.
# CHECK-LABEL: spore.func @index_plus_float(
# CHECK: spore.cast %{{.*}} : tensor<i64> -> tensor<f32>
# CHECK: spore.add %{{.*}} : tensor<f32>
# CHECK: spore.cast %{{.*}} : tensor<f32> -> tensor<f64>
# CHECK: spore.add %{{.*}} : tensor<4xf64>
@export
def index_plus_float(x: f64[4], n: i64) -> f64[4]:
    for i in range(n):
        x = x + (i + 1.0)
    return x


# A weak tensor carried by a loop takes the dtype its assignments give it.
# CHECK-LABEL: spore.func @carried(
# CHECK: scf.for {{.*}} -> (tensor<f64>)
@export
def carried(ys: f64[3, 4]) -> f64:
    total = 0.0
    for t in range(3):
        total = total - sum(ys[t] * 2.0)
    return total
