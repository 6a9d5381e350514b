# print() prints at run time, compiled and in the interpreter alike.
#
# RUN: rm -rf %t && mkdir -p %t
# RUN: %python -c "import numpy as np; np.save('%t/x.npy', (np.arange(6, dtype=np.float32) / 4).reshape(2, 3)); np.save('%t/n.npy', np.int64(3))"
# RUN: spore-run %s f --cache-dir %t/cache --input x=%t/x.npy --input n=%t/n.npy --out %t/c | FileCheck %s
# RUN: spore-run --eager %s f --input x=%t/x.npy --input n=%t/n.npy --out %t/e | FileCheck %s
#
# CHECK: x = {{\[\[}}0. 0.25 0.5]
# CHECK-NEXT: {{^}} [0.75 1. 1.25]] n = 3 0.1 (1, 'a') True
# CHECK-NEXT: step 0 of 3: 0.
# CHECK-NEXT: step 1 of 3: 0.25
# CHECK-NEXT: step 2 of 3: 0.5
# CHECK-NEXT: mask [True False True]
# CHECK-NEXT: done|

@export
def f(x: f32[2, 3], n: i64) -> f32[2, 3]:
    print("x =", x, "n =", n, 0.1, (1, "a"), True)
    for i in range(n):
        print("step", i, "of", n, end="")
        print(":", x[0, i])
    print("mask", x[0] != 0.25)
    print("done", end="|")
    return x
