#!/usr/bin/env python3
"""Writes the .npy files of spore-run's input tests into a folder: two good
inputs (x: f32[2, 3], y: f32[3]) and one file per way an input can be wrong.

Usage: npy_cases.py DIR
"""
import os
import struct
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def path(name):
    return os.path.join(out, name + ".npy")


def raw(name, data):
    with open(path(name), "wb") as f:
        f.write(data)


def v1(header, payload=b""):
    """A version-1.0 file with a hand-written header dict."""
    header = header.encode() + b" "
    header += b" " * ((-(10 + len(header) + 1)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload


x = np.arange(6, dtype=np.float32).reshape(2, 3)
np.save(path("x"), x)
np.save(path("y"), np.ones(3, np.float32))

# Malformed files.
raw("empty", b"")
raw("bad_magic", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
raw("truncated_header", np.lib.format.magic(1, 0) + b"\x76\x00{'descr'")
raw("no_descr", v1("{'fortran_order': False, 'shape': (2, 3), }", x.tobytes()))
raw("bad_descr", v1("{'descr': '<q7', 'fortran_order': False, 'shape': (2, 3), }",
                    x.tobytes()))
raw("bad_shape", v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }",
                    x.tobytes()))
raw("truncated_data", v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                         x.tobytes()[:10]))
raw("header_garbage", np.lib.format.magic(1, 0) + struct.pack("<H", 54) +
    bytes(range(200, 254)))
np.save(path("fortran"), np.asfortranarray(x))
np.save(path("big_endian"), x.astype(">f4"))
np.save(path("objects"), np.array([None, 1], dtype=object), allow_pickle=True)

# Well-formed files that do not match the parameter x: f32[2, 3].
np.save(path("f64"), x.astype(np.float64))
np.save(path("i32"), x.astype(np.int32))
np.save(path("transposed"), x.T.copy())
np.save(path("scalar"), np.float32(1.0))
np.save(path("rank3"), x.reshape(1, 2, 3))
