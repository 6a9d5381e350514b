# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}syntax-bad-indent.py:6:3: error: unindent does not match any outer indentation level
@export
def f(x: f32[3]) -> f32[3]:
    y = x
  return y
