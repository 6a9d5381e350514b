# RUN: %python -c "print('@export\ndef f(x: f32) -> f32:\n    return x' + ' + 1' * 500000)" > %t.py
# RUN: not sporec %t.py --emit=spore 2>&1 | FileCheck %s
# A line of 500,000 additions is refused with a located error, and its
# tree is freed without overflowing the stack (exit 1, not a crash).
# CHECK: error: expression is nested too deeply
