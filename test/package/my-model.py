from spore import *


@export
def scale(x: f32[3]) -> f32[3]:
    return x * 2.0 + 1.0
