# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}syntax-unterminated-string.py:3:5: error: unterminated string literal
X = 'abc
