#!/usr/bin/env python3
"""Objects for the CPU the user names (sporec --cpu, docs/guarantees.md#the-cpu):
an object for x86-64-v2 has no ymm or zmm register and computes what the
host object computes; an unknown CPU name is refused; an object compiled
for a CPU with a feature this machine lacks returns SPORE_ERROR_CPU (7) at
its first call, naming the feature, instead of dying of SIGILL.

Usage: check_cpu.py SPOREC OBJDUMP WORKDIR
"""
import ctypes
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import check_headers  # noqa: E402

SOURCE = """
@export
def f(x: f32[1024], y: f32[1024]) -> f32[1024]:
    return tanh(x) * y + exp(x * 0.5)
"""
# CPUs with ever more features: the first one this machine cannot run
# shows the check.
DEMANDING = ["diamondrapids", "graniterapids", "sapphirerapids", "x86-64-v4",
             "x86-64-v3"]
# LLVM's feature names as /proc/cpuinfo spells them.
CPUINFO = {"sse4.1": "sse4_1", "sse4.2": "sse4_2", "avx512fp16": "avx512_fp16",
           "avx512bf16": "avx512_bf16", "avx512vnni": "avx512_vnni",
           "avx512vbmi2": "avx512_vbmi2", "avx512bitalg": "avx512_bitalg",
           "avx512vpopcntdq": "avx512_vpopcntdq", "sse3": "pni",
           "bmi": "bmi1"}


def main():
    sporec, objdump, workdir = sys.argv[1:4]
    os.makedirs(workdir, exist_ok=True)
    src = os.path.join(workdir, "cpu.py")
    with open(src, "w") as f:
        f.write(SOURCE)
    failures = 0

    def check(ok, what):
        nonlocal failures
        print("%s %s" % ("PASS" if ok else "FAIL", what))
        failures += not ok

    def build(cpu, name):
        lib = os.path.join(workdir, "lib%s.so" % name)
        r = subprocess.run([sporec, src, "--cpu=" + cpu, "--shared", "-o", lib],
                           capture_output=True, text=True)
        return lib if r.returncode == 0 else None, r.stderr

    runtime = ctypes.CDLL(None)
    x = np.linspace(-2, 2, 1024).astype(np.float32)
    y = np.linspace(3, -1, 1024).astype(np.float32)

    def call(lib):
        library = ctypes.CDLL(lib)
        out = np.zeros(1024, np.float32)
        rc = library.cpu_f(*[a.ctypes.data_as(ctypes.c_void_p)
                             for a in (x, y, out)])
        library.spore_last_error.restype = ctypes.c_char_p
        return rc, out, library.spore_last_error().decode()

    host, err = build("host", "host")
    check(host is not None, "sporec --cpu=host " + err)
    obj = os.path.join(workdir, "v2.o")
    r = subprocess.run([sporec, src, "--cpu=x86-64-v2", "-o", obj],
                       capture_output=True, text=True)
    check_headers(workdir, "cpu")
    asm = subprocess.run([objdump, "-d", obj], capture_output=True,
                         text=True).stdout
    check(r.returncode == 0 and "xmm" in asm and "ymm" not in asm and
          "zmm" not in asm, "--cpu=x86-64-v2: xmm only, no ymm or zmm")
    v2, err = build("x86-64-v2", "v2")
    rc_h, out_h, _ = call(host)
    rc_2, out_2, _ = call(v2)
    check(rc_h == 0 and rc_2 == 0 and
          np.allclose(out_h, out_2, rtol=1e-5, atol=1e-6),
          "x86-64-v2 and host objects agree")

    r = subprocess.run([sporec, src, "--cpu=no-such-cpu", "-o",
                        os.path.join(workdir, "none.o")],
                       capture_output=True, text=True)
    check(r.returncode == 1 and "error: unknown CPU 'no-such-cpu'" in r.stderr
          and "not a recognized processor" not in r.stderr and
          not os.path.exists(os.path.join(workdir, "none.o")),
          "an unknown CPU is refused: " + r.stderr.strip())

    flags = set()
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    for cpu in DEMANDING:
        lib, err = build(cpu, cpu.replace("-", "_"))
        if lib is None:
            check(False, "sporec --cpu=%s: %s" % (cpu, err))
            break
        rc, _, message = call(lib)
        if rc == 0:
            continue
        lacking = message.split("this CPU lacks ")[-1].split(" (")[0]
        absent = all(CPUINFO.get(f, f) not in flags
                     for f in lacking.split(", "))
        check(rc == 7 and "compiled for the CPU '%s'" % cpu in message and
              absent, "--cpu=%s on this CPU: rc %d, %s" % (cpu, rc, message))
        break
    else:
        print("SKIP the missing-feature check: this CPU has every feature of "
              + ", ".join(DEMANDING))
    print("%d failed" % failures)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
