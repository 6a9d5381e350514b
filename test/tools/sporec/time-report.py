# RUN: rm -rf %t && mkdir -p %t
# RUN: sporec %s --time-report -o %t/model.o 2> %t/object.txt
# RUN: FileCheck %s --check-prefix=OBJECT < %t/object.txt
# RUN: sporec %s --time-report --shared -o %t/libmodel.so 2> %t/shared.txt
# RUN: FileCheck %s --check-prefix=SHARED < %t/shared.txt
# RUN: sporec %s --time-report --shared -o %t/libmodel.so -O0 2> %t/o0.txt
# RUN: FileCheck %s --check-prefix=O0 < %t/o0.txt
# RUN: not sporec %S/Inputs/bad-type.py --time-report -o %t/bad.o 2> %t/bad.txt
# RUN: FileCheck %s --check-prefix=BAD < %t/bad.txt
# `--time-report` prints each stage's wall time and share, the total and
# the object's size, like clang's -ftime-report; a failing compilation
# still reports the stages it ran.
from spore import *


def loss(w: f32[8, 4], x: f32[16, 8]) -> f32:
    return mean(tanh(x @ w))


@export
def step(w: f32[8, 4], x: f32[16, 8]) -> f32[8, 4]:
    return grad(loss)(w, x)

# OBJECT: sporec time report: {{.*}}time-report.py
# OBJECT: wall (s)   share  stage
# OBJECT-NEXT: {{[0-9]+\.[0-9][0-9][0-9][0-9] +[0-9]+\.[0-9]}}%  parse and emit spore IR
# OBJECT-NEXT: differentiate (spore-differentiate-pipeline)
# OBJECT-NEXT: lower to the LLVM dialect (spore-cpu-pipeline)
# OBJECT-NEXT: translate to LLVM IR
# OBJECT-NEXT: LLVM optimisation (-O2)
# OBJECT-NEXT: code generation
# OBJECT-NEXT: write the headers
# OBJECT-NEXT: 100.0%  total
# A model this small is generated in one part (docs/cli.md,
# --codegen-threads).
# OBJECT-NEXT: code generation: 1 part on 1 thread, 0 functions of glue at -O0
# OBJECT-NEXT: object: {{[1-9][0-9]*}} bytes

# SHARED: code generation
# SHARED-NEXT: link the shared library
# SHARED-NEXT: write the headers
# SHARED-NEXT: total

# O0-NOT: LLVM optimisation
# O0: code generation

# BAD: error:
# BAD: sporec time report:
# BAD: parse and emit spore IR
# BAD-NEXT: 100.0%  total
# BAD-NOT: object:
