# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# polygamma's order and str()'s argument must be known at compile time.
# CHECK: sema-special-args.py:10:22: error: polygamma's order must be a compile-time int in [0, 16], not the int 17
# CHECK: sema-special-args.py:15:43: error: str() takes a value known at compile time, not a tensor f32[3]
from spore import *


@export
def f(x: f32[3]) -> f32[3]:
    return polygamma(17, x)


@export
def g(x: f32[3]) -> f32[3]:
    assert x.shape[0] == 3, "x is " + str(x)
    return x
