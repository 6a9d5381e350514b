# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-assert-false.py:4:1: error: only imports, constants, 'def' and 'class' are allowed at top level
N = 3
assert N == 4
