#!/usr/bin/env python3
""".npz archives of libspore_runtime against NumPy: what spore_npz_write
writes, numpy.load reads exactly; what numpy.savez writes (zip64 headers
included), spore_npz_read reads exactly; compressed, truncated, corrupted
and non-zip files are refused with a message.

Usage: check_npz.py LIBSPORE_RUNTIME WORKDIR
"""
import ctypes
import os
import sys

import numpy as np

lib_path, workdir = sys.argv[1], sys.argv[2]
os.makedirs(workdir, exist_ok=True)
lib = ctypes.CDLL(lib_path)
lib.spore_last_error.restype = ctypes.c_char_p


class Tensor(ctypes.Structure):
    _fields_ = [("dtype", ctypes.c_int), ("rank", ctypes.c_int32),
                ("shape", ctypes.c_int64 * 16), ("data", ctypes.c_void_p)]


CODES = {np.dtype(np.float16): 0, np.dtype(np.float32): 2,
         np.dtype(np.float64): 3, np.dtype(np.bool_): 4, np.dtype(np.int8): 5,
         np.dtype(np.int32): 6, np.dtype(np.int64): 7}
DTYPES = {v: k for k, v in CODES.items()}

rng = np.random.default_rng(4)
arrays = {"net.fc1.weight": rng.standard_normal((3, 4)).astype(np.float32),
          "net.fc1.bias": np.arange(4, dtype=np.float64),
          "step": np.array(7, np.int64), "mask": np.array([True, False]),
          "empty": np.zeros((0, 2), np.int32),
          "half": rng.standard_normal(5).astype(np.float16)}
failures = 0


def check(name, ok, why=""):
    global failures
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + why))
    failures += not ok


# Spore writes, NumPy reads.
keep = [np.require(a, requirements="C") for a in arrays.values()]
tensors = (Tensor * len(keep))()
for t, a in zip(tensors, keep):
    t.dtype, t.rank = CODES[a.dtype], a.ndim
    for d, s in enumerate(a.shape):
        t.shape[d] = s
    t.data = a.ctypes.data
names = (ctypes.c_char_p * len(keep))(*[n.encode() for n in arrays])
path = os.path.join(workdir, "spore.npz")
rc = lib.spore_npz_write(path.encode(), len(keep), names, tensors)
check("spore_npz_write", rc == 0, lib.spore_last_error().decode())
with np.load(path) as z:
    check("numpy reads every array", sorted(z.files) == sorted(arrays) and
          all(np.array_equal(z[n], a) and z[n].dtype == a.dtype
              for n, a in arrays.items()), str(z.files))


def read(path):
    count = ctypes.c_int32()
    out_names = ctypes.POINTER(ctypes.c_char_p)()
    out = ctypes.POINTER(Tensor)()
    rc = lib.spore_npz_read(path.encode(), ctypes.byref(count),
                            ctypes.byref(out_names), ctypes.byref(out))
    if rc:
        return rc, lib.spore_last_error().decode()
    result = {}
    for i in range(count.value):
        t = out[i]
        shape = tuple(t.shape[d] for d in range(t.rank))
        n = int(np.prod(shape)) if shape else 1
        dt = DTYPES[t.dtype]
        buf = (ctypes.c_char * (n * dt.itemsize)).from_address(t.data) if n else b""
        result[out_names[i].decode()] = np.frombuffer(bytes(buf), dt).reshape(shape).copy()
    lib.spore_npz_free(count, out_names, out)
    return 0, result


# NumPy writes, Spore reads (its own archive too).
np.savez(os.path.join(workdir, "numpy.npz"), **arrays)
for source in ("numpy.npz", "spore.npz"):
    rc, got = read(os.path.join(workdir, source))
    check("spore_npz_read of " + source, rc == 0 and sorted(got) == sorted(arrays)
          and all(np.array_equal(got[n], a) and got[n].dtype == a.dtype
                  for n, a in arrays.items()), str(got)[:200])

# Bad files are refused with a message.
np.savez_compressed(os.path.join(workdir, "compressed.npz"), a=np.ones(100))
data = open(path, "rb").read()
cases = {
    "compressed.npz": None,
    "truncated.npz": data[:len(data) // 2],
    "corrupt.npz": data[:200] + bytes([data[200] ^ 0xFF]) + data[201:],
    "not_zip.npz": b"hello, this is not a zip archive at all",
    "empty.npz": b"",
}
expect = {"compressed.npz": "compressed", "truncated.npz": "not a valid .npz",
          "corrupt.npz": "CRC", "not_zip.npz": "not a valid .npz",
          "empty.npz": "not a valid .npz"}
for name, content in cases.items():
    p = os.path.join(workdir, name)
    if content is not None:
        open(p, "wb").write(content)
    rc, message = read(p)
    check("refuses " + name, rc != 0 and expect[name] in message,
          "rc %d: %s" % (rc, message if rc else "read"))
print("%d failed" % failures)
sys.exit(1 if failures else 0)
