# RUN: sporec %s --emit=spore --no-locations | FileCheck %s
# RUN: sporec %s --emit=spore | spore-opt -verify-each > /dev/null
# The frontend's IR for control flow: scf.if/scf.for/scf.while on tensors,
# merged variables as results, flags for break and early return, and
# compile-time conditions folded away.
from spore import *

DEBUG = False


# A run-time if: the variable assigned on both branches is the result; a
# literal takes the tensor's dtype. A compile-time if leaves no trace.
# CHECK-LABEL: spore.func @branch(
# CHECK: %[[C:.*]] = spore.compare gt, %{{.*}}, %{{.*}} : tensor<f32>
# CHECK: %[[B:.*]] = tensor.extract %[[C]][] : tensor<i1>
# CHECK: scf.if %[[B]] -> (tensor<f32>) {
# CHECK:   spore.mul
# CHECK:   scf.yield %{{.*}} : tensor<f32>
# CHECK: } else {
# CHECK:   spore.constant dense<0.000000e+00> : tensor<f32>
# CHECK:   scf.yield
# CHECK-NOT: scf.if
# CHECK: spore.return
@export
def branch(x: f32, y: f32) -> f32:
    if x > y:
        z = x * y
    else:
        z = 0
    if DEBUG:
        z = z + 1.0
    return z


# A for loop over a run-time range: scf.for over the trip count, the index
# rebuilt as an i64 tensor, the accumulator carried.
# CHECK-LABEL: spore.func @loop(
# CHECK: arith.ceildivsi
# CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<3xf32>) {
# CHECK:   tensor.from_elements %{{.*}} : tensor<i64>
# CHECK:   spore.cast %{{.*}} : tensor<i64> -> tensor<f32>
# CHECK:   scf.yield %{{.*}} : tensor<3xf32>
@export
def loop(x: f32[3], n: i64) -> f32[3]:
    acc = x
    for i in range(n):
        acc = acc + x * i
    return acc


# A loop that can break is an scf.while whose condition tests the bound
# and the break flag; the literal counter becomes an i64 tensor.
# CHECK-LABEL: spore.func @search(
# CHECK: scf.while (%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) : (tensor<i64>, tensor<i1>, tensor<i64>)
# CHECK:   spore.compare lt
# CHECK:   spore.not
# CHECK:   spore.and
# CHECK:   scf.condition
# CHECK: } do {
# CHECK:   scf.if
# CHECK:   spore.add
# CHECK:   scf.yield
@export
def search(x: f32[8], limit: f32) -> i64:
    found = -1
    for i in range(8):
        if x.sum() * i > limit:
            found = i
            break
    return found


# An early return inside a while loop: the loop carries the returned flag
# and value; the statements after it run only when it did not return.
# CHECK-LABEL: spore.func @early(
# CHECK: scf.while
# CHECK: scf.condition
# CHECK: } do {
# CHECK: scf.if %{{.*}} -> (tensor<f32>, tensor<i1>)
# CHECK: spore.not
# CHECK: scf.if
# CHECK: spore.return
@export
def early(x: f32) -> f32:
    while x < 100.0:
        if x < 0.0:
            return -x
        x = x * 2.0 - 1.0
    return x


# A for loop over a tuple is unrolled: no loop op.
# CHECK-LABEL: spore.func @unrolled(
# CHECK-NOT: scf.for
# CHECK-COUNT-3: spore.mul
# CHECK: spore.return
@export
def unrolled(x: f32[2]) -> f32[2]:
    for s in (1.0, 2.0, 3.0):
        x = x * s
    return x
