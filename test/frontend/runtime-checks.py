# RUN: sporec %s --emit=spore --no-locations | FileCheck %s
# RUN: sporec %s --emit=spore --no-locations --no-runtime-checks | FileCheck %s --check-prefix=OFF
# Indices known only at run time are checked against their axis (negative
# ones count from the end), integer arrays through their extremes, and a
# run-time range step against zero; --no-runtime-checks drops the checks.
from spore import *


# CHECK-LABEL: spore.func @point(
# CHECK: %[[HI:.*]] = spore.compare ge, %arg1, %{{.*}} : tensor<i64>
# CHECK: %[[LO:.*]] = spore.compare lt, %arg1, %{{.*}} : tensor<i64>
# CHECK: %[[BAD:.*]] = spore.select %[[HI]], %arg1, %arg1
# CHECK: spore.assert %{{.*}}, "runtime-checks.py:19:14: index {} is out of bounds for axis 0 with size 4"(%[[BAD]] : tensor<i64>) {precondition}
# OFF-LABEL: spore.func @point(
# OFF-NOT: spore.assert
# OFF: spore.return
@export
def point(x: f32[4], i: i64) -> f32:
    return x[i]


# CHECK-LABEL: spore.func @take(
# CHECK-DAG: spore.min %arg1 axes = [0] : tensor<3xi64> -> tensor<i64>
# CHECK-DAG: spore.max %arg1 axes = [0] : tensor<3xi64> -> tensor<i64>
# CHECK: spore.assert {{.*}} "runtime-checks.py:28:22: index {} is out of bounds for axis 0 with size 5"
@export
def take(x: f32[5], idx: i64[3]) -> f32[3]:
    return gather(x, idx)


# CHECK-LABEL: spore.func @stepped(
# CHECK: spore.compare ne, %arg1
# CHECK: spore.assert {{.*}} "runtime-checks.py:37:26: range() step must not be zero" {precondition}
@export
def stepped(x: f32[4], step: i64) -> f32:
    total = 0.0
    for k in range(0, 4, step):
        total = total + x[0]
    return total
