# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}syntax-else-alone.py:3:1: error: 'else' without a matching statement
else:
    pass
