#!/usr/bin/env python3
"""Out of memory is an error code, never a crash (docs/guarantees.md).

Under an 8 GiB address-space limit (`prlimit --as`), an export whose
intermediate needs 40 GB returns SPORE_ERROR_MEMORY with "FILE:LINE:COL:
out of memory allocating N bytes" naming the op, writes none of its
results, and leaves the library usable: the next call of another export
succeeds, and the failed one fails the same way again. `spore-run --eager`
stops with the same message and writes no output file.

Usage: check_out_of_memory.py SPOREC SPORE_RUN RUNTIME_LIB WORKDIR
"""
import ctypes
import os
import resource
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import compile_shared  # noqa: E402

SPORE_ERROR_MEMORY = 4
LIMIT = 8 << 30
SOURCE = """
@export
def outer(x: f32[100000], v: f32[100000]) -> f32[100000]:
    z = x[:, None] * x[None, :]
    return softmax(z, axis=0) @ v

@export
def small(x: f32[100000]) -> f32:
    return sum(x * x)
"""
# 10^5 x 10^5 f32: the runtime's buffers are aligned already, so nothing is
# added for alignment (spore-buffer-alignment).
WANT = "oom.py:4:20: out of memory allocating 40000000000 bytes"
WANT_EAGER = "oom.py:4:20: out of memory allocating 80000000000 bytes"


def limit():
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def child(library, runtime):
    """Runs in a process limited to LIMIT bytes of address space."""
    limit()
    lib = ctypes.CDLL(library)
    rt = ctypes.CDLL(runtime)
    rt.spore_last_error.restype = ctypes.c_char_p
    P = ctypes.c_void_p
    x = np.linspace(-1, 1, 100000).astype(np.float32)
    lines = []
    for _ in range(2):
        out = np.full(100000, -7.25, np.float32)
        rc = lib.oom_outer(x.ctypes.data_as(P), x.ctypes.data_as(P),
                           out.ctypes.data_as(P))
        lines.append("%d|%s|%s" % (rc, rt.spore_last_error().decode(),
                                   bool(np.all(out == -7.25))))
        total = np.zeros((), np.float32)
        rc = lib.oom_small(x.ctypes.data_as(P), total.ctypes.data_as(P))
        lines.append("%d|%.9g" % (rc, float(total)))
    print("\n".join(lines))


def main():
    sporec, spore_run, runtime, workdir = sys.argv[1:5]
    os.makedirs(workdir, exist_ok=True)
    compile_shared(sporec, SOURCE, workdir, "oom")
    library = os.path.join(workdir, "liboom.so")
    proc = subprocess.run([sys.executable, os.path.abspath(__file__),
                           "--child", library, runtime],
                          capture_output=True, text=True)
    failures = 0
    x = np.linspace(-1, 1, 100000).astype(np.float32)
    want_small = float(np.sum(x.astype(np.float64) ** 2))
    if proc.returncode != 0:
        print("FAIL the process died (%d): %s" % (proc.returncode,
                                                  proc.stderr[-400:]))
        failures += 1
    else:
        lines = proc.stdout.split("\n")
        for k in range(2):
            rc, message, untouched = lines[2 * k].split("|")
            ok = (int(rc) == SPORE_ERROR_MEMORY and message == WANT and
                  untouched == "True")
            print(("PASS" if ok else "FAIL") + " call %d of outer: %s" % (
                k + 1, lines[2 * k]))
            failures += not ok
            rc, total = lines[2 * k + 1].split("|")
            ok = int(rc) == 0 and abs(float(total) - want_small) <= \
                1e-4 * want_small  # an f32 sum of 10^5 terms
            print(("PASS" if ok else "FAIL") + " then small: %s (want %.9g)" %
                  (lines[2 * k + 1], want_small))
            failures += not ok

    # The interpreter, under the same limit.
    inputs = []
    for name in ("x", "v"):
        path = os.path.join(workdir, name + ".npy")
        np.save(path, x)
        inputs += ["--input", "%s=%s" % (name, path)]
    out = os.path.join(workdir, "eager")
    os.makedirs(out, exist_ok=True)
    proc = subprocess.run([spore_run, "--eager", os.path.join(workdir,
                                                              "oom.py"),
                           "outer"] + inputs + ["--out", out],
                          capture_output=True, text=True, preexec_fn=limit)
    ok = (proc.returncode == 1 and WANT_EAGER in proc.stderr and
          not os.listdir(out))
    print(("PASS" if ok else "FAIL") + " eager: rc %d, %s" % (
        proc.returncode, proc.stderr.strip()))
    failures += not ok
    print("%d passed, %d failed" % (5 - failures, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
