# RUN: sporec %s --emit=spore --no-locations | FileCheck %s
# RUN: sporec %s --emit=spore | spore-opt -verify-each > /dev/null
# Functions as values are resolved by the frontend: a closure's captured
# tensors become leading arguments of its specialisation, captured
# compile-time values are folded into it, a higher-order function is
# specialised per function argument, and a recursive call uses the types
# of the first return.
from spore import *


def apply(f, x):
    return f(x)


def count(n):
    if n <= 0:
        return n * 0
    return count(n - 1) + 1


# CHECK-LABEL: spore.func @main(
# CHECK: %[[A:.*]] = spore.call @apply(%arg1, %arg0) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
# CHECK: spore.call @apply_1(%arg0) : (tensor<3xf32>) -> tensor<3xf32>
# CHECK: spore.call @count(%arg2) : (tensor<i64>) -> tensor<i64>
@export
def main(x: f32[3], w: f32[3], n: i64) -> tuple[f32[3], f32[3], i64]:
    k = 3.0
    return apply(lambda v: v * w, x), apply(lambda v: v * k, x), count(n)

# The closure capturing the tensor w: w first, then the argument.
# CHECK-LABEL: spore.func private @apply(%arg0: tensor<3xf32>, %arg1: tensor<3xf32>)
# CHECK: spore.call @lambda(%arg0, %arg1)
# CHECK-LABEL: spore.func private @lambda(%arg0: tensor<3xf32>, %arg1: tensor<3xf32>)
# CHECK: spore.mul %arg1, %arg0

# The closure capturing the compile-time 3.0: folded, no extra argument.
# CHECK-LABEL: spore.func private @apply_1(%arg0: tensor<3xf32>)
# CHECK-LABEL: spore.func private @lambda_1(%arg0: tensor<3xf32>)
# CHECK: spore.constant dense<3.000000e+00>

# CHECK-LABEL: spore.func private @count(%arg0: tensor<i64>) -> tensor<i64>
# CHECK: scf.if
# CHECK: spore.call @count(%{{.*}}) : (tensor<i64>) -> tensor<i64>
