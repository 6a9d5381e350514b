# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-top-level-call.py:3:1: error: only imports, constants, 'def' and 'class' are allowed at top level
print(1)
