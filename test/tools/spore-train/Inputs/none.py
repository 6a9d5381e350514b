# A module without exports.
def f(x):
    return x
