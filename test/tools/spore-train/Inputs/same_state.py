"""Exits 1 unless two state archives hold the same members with the same
bytes."""
import sys

import numpy as np

a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
assert sorted(a.files) == sorted(b.files), (a.files, b.files)
for name in a.files:
    if a[name].tobytes() != b[name].tobytes():
        sys.exit("%s differs: %s vs %s" % (name, a[name], b[name]))
