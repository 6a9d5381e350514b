# RUN: sporec %s --emit=spore --no-locations | FileCheck %s
# RUN: sporec %s --emit=spore | spore-opt -verify-each > /dev/null
# Thirty run-time loops around an early return, with a literal (`t`) that
# takes the dtype of what the innermost body adds to it. The frontend used
# to emit every loop twice (once to learn the returned value's type, again
# with it carried), so its time doubled per level: 14 s at depth 18, hours
# at 30. What a loop learnt is now kept for its next emission, so this
# takes a tenth of a second. Each loop can exit early, so each is an
# scf.while that carries the returned flag and value; `t` is f64 in all.
from spore import *


# CHECK-LABEL: spore.func @deep(
# CHECK-SAME: -> tensor<3xf64>
# CHECK-COUNT-30: scf.while
# CHECK-NOT: scf.while
# CHECK: spore.return
@export
def deep(v: f64[3], x: f64, n: i64) -> f64[3]:
    acc = v
    t = 0.0
    for k0 in range(n):
        w1 = 0
        while w1 < n:
            w1 = w1 + 1
            for k2 in range(n):
                w3 = 0
                while w3 < n:
                    w3 = w3 + 1
                    for k4 in range(n):
                        w5 = 0
                        while w5 < n:
                            w5 = w5 + 1
                            for k6 in range(n):
                                w7 = 0
                                while w7 < n:
                                    w7 = w7 + 1
                                    for k8 in range(n):
                                        w9 = 0
                                        while w9 < n:
                                            w9 = w9 + 1
                                            for k10 in range(n):
                                                w11 = 0
                                                while w11 < n:
                                                    w11 = w11 + 1
                                                    for k12 in range(n):
                                                        w13 = 0
                                                        while w13 < n:
                                                            w13 = w13 + 1
                                                            for k14 in range(n):
                                                                w15 = 0
                                                                while w15 < n:
                                                                    w15 = w15 + 1
                                                                    for k16 in range(n):
                                                                        w17 = 0
                                                                        while w17 < n:
                                                                            w17 = w17 + 1
                                                                            for k18 in range(n):
                                                                                w19 = 0
                                                                                while w19 < n:
                                                                                    w19 = w19 + 1
                                                                                    for k20 in range(n):
                                                                                        w21 = 0
                                                                                        while w21 < n:
                                                                                            w21 = w21 + 1
                                                                                            for k22 in range(n):
                                                                                                w23 = 0
                                                                                                while w23 < n:
                                                                                                    w23 = w23 + 1
                                                                                                    for k24 in range(n):
                                                                                                        w25 = 0
                                                                                                        while w25 < n:
                                                                                                            w25 = w25 + 1
                                                                                                            for k26 in range(n):
                                                                                                                w27 = 0
                                                                                                                while w27 < n:
                                                                                                                    w27 = w27 + 1
                                                                                                                    for k28 in range(n):
                                                                                                                        w29 = 0
                                                                                                                        while w29 < n:
                                                                                                                            w29 = w29 + 1
                                                                                                                            acc = acc * 1.25 + x
                                                                                                                            t = t + x
                                                                                                                            if acc.sum() > 4.0:
                                                                                                                                return acc * 2.0 + t
    return acc + t
