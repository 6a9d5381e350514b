# RUN: %python -c "print('@export\ndef f(x: f32) -> f32:'); [print('    if x > %%d.0:\n        return x' %% k) for k in range(600)]; print('    return x')" > %t.py
# RUN: not sporec %t.py --emit=spore 2>&1 | FileCheck %s
# Sequential conditional returns nest the statements after them; past a
# bound the compiler says so instead of exhausting its stack.
# CHECK: error: control flow nests more than 500 levels deep (counting the statements that follow a conditional return, break or continue); split this function
