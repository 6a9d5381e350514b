# Exports that spore-train cannot feed from data, and no state.


@export
def scalar_step(x: f32, y: f32[8]) -> f32:
    return x + sum(y)


@export
def mixed_step(x: f32[8, 3], y: f32[4]) -> f32:
    return sum(x) + sum(y)


@export
def nodata_step(valid: i32) -> f32:
    return valid.astype(f32)


@export
def fit_step(x: f32[8, 3], y: f32[8]) -> f32:
    return sum(x) + sum(y)
