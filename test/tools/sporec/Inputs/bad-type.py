# Not a test: an input of time-report.py that fails to compile.
from spore import *


@export
def f(x: f32[4]) -> f32[4]:
    return x + undefined_name
