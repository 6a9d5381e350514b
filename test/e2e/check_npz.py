#!/usr/bin/env python3
""".npz archives of libspore_runtime against NumPy: what spore_npz_write
writes, numpy.load reads exactly; what numpy.savez and savez_compressed
write (zip64 headers, deflate), spore_npz_read reads exactly; truncated,
corrupted, crafted and non-zip files, names with a NUL byte and .npy
headers other than NumPy's dict literal are refused with a message.

With SPORE_TEST_LARGE_NPZ=1 it also writes a 4.5 GiB archive (members of
3 GiB and 1.5 GiB: zip64 offsets and sizes) and reads it back with NumPy
and with spore_npz_read; that needs about 16 GB of memory and 5 GB of disk,
so it is off by default and says so.

Usage: check_npz.py LIBSPORE_RUNTIME WORKDIR
"""
import ctypes
import os
import struct
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


def write(path, named):
    """spore_npz_write of the arrays in `named`; returns its code."""
    keep = [np.require(a, requirements="C") for a in named.values()]
    tensors = (Tensor * len(keep))()
    for t, a in zip(tensors, keep):
        t.dtype, t.rank = CODES[a.dtype], a.ndim
        for d, n in enumerate(a.shape):
            t.shape[d] = n
        t.data = a.ctypes.data
    names = (ctypes.c_char_p * len(keep))(*[n.encode() for n in named])
    return lib.spore_npz_write(path.encode(), len(keep), names, tensors)


# Spore writes, NumPy reads.
path = os.path.join(workdir, "spore.npz")
rc = write(path, arrays)
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

# numpy.savez_compressed (deflate) reads too.
np.savez_compressed(os.path.join(workdir, "compressed.npz"), **arrays)
rc, got = read(os.path.join(workdir, "compressed.npz"))
check("spore_npz_read of compressed.npz", rc == 0 and
      sorted(got) == sorted(arrays) and
      all(np.array_equal(got[n], a) and got[n].dtype == a.dtype
          for n, a in arrays.items()), str(got)[:200])

# A member name with a NUL byte is never read under its prefix: libzip
# turns the NUL into a space, which no member name may hold.
zipped = os.path.join(workdir, "nul.npz")
np.savez(zipped, **{"net.fc1.weightXevil": arrays["net.fc1.weight"]})
raw = open(zipped, "rb").read().replace(b"weightXevil", b"weight\0evil")
open(zipped, "wb").write(raw)
rc, message = read(zipped)
check("refuses a member name with a NUL byte",
      rc != 0 and "net.fc1.weight evil.npy" in message, "rc %d: %s" % (rc, message))

# A 42-byte archive whose zip64 locator points 2^64 - 10 bytes in: the old
# reader's bounds check wrapped and read before its buffer.
crafted = (b"PK\x06\x07" + struct.pack("<IQI", 0, 2**64 - 10, 1) +
           b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 0xFFFF, 0xFFFF,
                                        0xFFFFFFFF, 0xFFFFFFFF, 0))
assert len(crafted) == 42
data = open(path, "rb").read()
# Bad files are refused with a message.
cases = {
    "truncated.npz": data[:len(data) // 2],
    "corrupt.npz": data[:200] + bytes([data[200] ^ 0xFF]) + data[201:],
    "not_zip.npz": b"hello, this is not a zip archive at all",
    "empty.npz": b"",
    "zip64_wrap.npz": crafted,
}
expect = {"truncated.npz": "not a valid .npz", "corrupt.npz": "corrupt (CRC",
          "not_zip.npz": "not a valid .npz", "empty.npz": "not a valid .npz",
          "zip64_wrap.npz": "not a valid .npz"}
for name, content in cases.items():
    p = os.path.join(workdir, name)
    open(p, "wb").write(content)
    rc, message = read(p)
    check("refuses " + name, rc != 0 and expect[name] in message,
          "rc %d: %s" % (rc, message if rc else "read"))

# .npy headers are the dict literal NumPy writes, nothing looser.
lib.spore_npy_read.argtypes = [ctypes.c_char_p, ctypes.POINTER(Tensor)]


def npy_with_header(header):
    header = header + " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return (b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) +
            header.encode() + np.zeros(4, np.float32).tobytes())


HEADERS = {
    "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }": None,
    "{'shape': (4,), 'descr': '<f4', 'fortran_order': False}": None,
    "{'x': \"'descr': '<f4'\", 'fortran_order': False, 'shape': (4,), }":
        "unexpected key 'x'",
    "{'fortran_order': False, 'shape': (4,), }": "it has no 'descr'",
    "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
    "'shape': (4,)}": "'descr' appears twice",
    "{'descr': '<f4', 'fortran_order': False, 'shape': [4]}":
        "'shape' is not a tuple of ints",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (4)}":
        "'shape' is not a tuple of ints",
    "{'descr': '<f4', 'fortran_order': 0, 'shape': (4,)}":
        "'fortran_order' is not True or False",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (4,)} junk":
        "text follows the dict",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (-4,)}":
        "'shape' is not a tuple of ints",
}
for k, (header, want) in enumerate(HEADERS.items()):
    p = os.path.join(workdir, "header%d.npy" % k)
    open(p, "wb").write(npy_with_header(header))
    t = Tensor()
    rc = lib.spore_npy_read(p.encode(), ctypes.byref(t))
    message = lib.spore_last_error().decode() if rc else ""
    if want is None:
        ok = rc == 0 and t.rank == 1 and t.shape[0] == 4
        lib.spore_tensor_free(ctypes.byref(t))
    else:
        ok = rc != 0 and (p + ": malformed header: " + want) in message
    check("header %s" % header, ok, "rc %d: %s" % (rc, message))



if os.environ.get("SPORE_TEST_LARGE_NPZ") == "1":
    # Past 4 GiB: zip64 sizes and offsets, which the old writer truncated
    # to 32 bits (it wrote, returned 0, and the file could not be read).
    big = {"a": np.arange(3 * 2**30 // 4, dtype=np.float32),
           "b": np.arange(3 * 2**29 // 8, dtype=np.int64)}
    path = os.path.join(workdir, "large.npz")
    rc = write(path, big)
    check("spore_npz_write of 4.5 GiB", rc == 0,
          lib.spore_last_error().decode())
    with np.load(path) as z:
        check("numpy reads the 4.5 GiB archive",
              all(np.array_equal(z[n], a) for n, a in big.items()))
    rc, got = read(path)
    check("spore_npz_read of 4.5 GiB", rc == 0 and
          all(np.array_equal(got[n], a) for n, a in big.items()),
          got if rc else "")
    del got
    os.remove(path)
else:
    print("SKIP the 4.5 GiB zip64 archive: set SPORE_TEST_LARGE_NPZ=1 to run "
          "it (it needs about 16 GB of memory and 5 GB of disk)")
print("%d failed" % failures)
sys.exit(1 if failures else 0)
