# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-module-constant-target.py:3:{{[0-9]+}}: error: a module constant must be assigned to a name
a.b = 1
