# RUN: sporec %s --emit=spore --no-locations | FileCheck %s
# RUN: sporec %s --emit=spore | spore-opt -verify-each > /dev/null
# RUN: sporec %s --emit=spore-ad --no-locations | FileCheck %s --check-prefix=AD
# grad and value_and_grad wrap the function (here a closure over w, and a
# Cell) in a spore.func of the call's run-time leaves, captures first, and
# emit spore.grad on it; argnums picks operands, wrt=net.parameters the
# state arguments. --emit=spore-ad shows the expanded adjoints.
from spore import *

net = Dense(3, 1)


# CHECK-LABEL: spore.func @closure(
# CHECK: spore.grad @lambda.wrapped(%arg0, %arg1, %arg2, %arg3) wrt = [3] with_value
# CHECK: spore.func private @lambda.wrapped(
# CHECK: spore.call @lambda(
# CHECK-LABEL: spore.func @params(
# CHECK: spore.grad @lambda.wrapped_1(%arg0, %arg1, %arg2) wrt = [0, 1]
# AD-NOT: spore.grad
# AD: spore.func private @lambda.wrapped.grad
@export
def closure(w: f32[3, 1], x: f32[2, 3]) -> tuple[f32, f32[2, 3]]:
    return value_and_grad(lambda x: sum(x @ w))(x)


@export
def params(x: f32[2, 3]) -> tuple[f32[3, 1], f32[1]]:
    return grad(lambda x: sum(net(x)), wrt=net.parameters)(x)
