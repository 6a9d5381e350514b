# spore-run's command-line errors: each names what is wrong and exits 1.
#
# RUN: rm -rf %t && %python %S/Inputs/npy_cases.py %t
#
# RUN: not spore-run %s g --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=NO-ENTRY
# NO-ENTRY: spore-run: error: '{{.*}}bad-arguments.py' exports no function named 'g' (exports: f, h)
#
# Every problem with the inputs is reported, not only the first.
# RUN: not spore-run %s f --cache-dir %t/cache --input z=%t/x.npy --input x=%t/x.npy --input x=%t/y.npy --input oops 2>&1 | FileCheck %s --check-prefix=BINDINGS
# BINDINGS: spore-run: error: 'f' has no parameter named 'z' (parameters: x, y)
# BINDINGS: spore-run: error: input 'x' is given more than once
# BINDINGS: spore-run: error: --input 'oops' is not of the form NAME=file.npy
# BINDINGS: spore-run: error: missing input 'y' (f32[3]): pass --input y=file.npy
#
# RUN: not spore-run %s f --cache-dir %t/cache --input =%t/x.npy --input y= 2>&1 | FileCheck %s --check-prefix=EMPTY
# EMPTY: spore-run: error: --input '=[[X:.*]]' is not of the form NAME=file.npy
# EMPTY: spore-run: error: --input 'y=' is not of the form NAME=file.npy
#
# RUN: not spore-run %s h --cache-dir %t/cache --input a=%t/x.npy 2>&1 | FileCheck %s --check-prefix=NO-PARAMS
# NO-PARAMS: spore-run: error: 'h' has no parameter named 'a' (parameters: none)
#
# --eager needs its inputs too; state flags need a model with state.
# RUN: not spore-run %s f --eager --cache-dir %t/cache 2>&1 | FileCheck %s --check-prefix=EAGER
# EAGER: spore-run: error: missing input 'x'
# RUN: not spore-run %s f --state %t/ckpt.npz 2>&1 | FileCheck %s --check-prefix=STATE
# STATE: spore-run: error: --state: {{.*}} has no state (no module-level Cell with Parameters)
# RUN: not spore-run %s f --init-state 7 2>&1 | FileCheck %s --check-prefix=INIT
# INIT: spore-run: error: --init-state: {{.*}} has no state
# RUN: not spore-run %s f --save-state %t/ckpt.npz 2>&1 | FileCheck %s --check-prefix=SAVE
# SAVE: spore-run: error: --save-state: {{.*}} has no state
#
# A model with errors gets the compiler's diagnostics.
# RUN: printf '@export\ndef f(x: f32[2]) -> f32[2]:\n    return y\n' > %t/broken.py
# RUN: not spore-run %t/broken.py f 2>&1 | FileCheck %s --check-prefix=BROKEN
# BROKEN: broken.py:3:12: error: {{.*}}'y'
#
# RUN: not spore-run %t/none.py f 2>&1 | FileCheck %s --check-prefix=NO-FILE
# NO-FILE: error: cannot read '{{.*}}none.py'

@export
def f(x: f32[2, 3], y: f32[3]) -> f32[2, 3]:
    return x * y + 1.0


@export
def h() -> f32:
    return 1.0
