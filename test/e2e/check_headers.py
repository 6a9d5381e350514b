#!/usr/bin/env python3
"""Generated headers always compile (docs/guarantees.md#names-in-the-headers):
a stateful model whose parameter names collide with the state's `s`, a
result's `out0`, each other but for case (`x`, `X`), C and C++ keywords
(`double`, `this`, `int`), macros of the included headers (`NULL`,
`INT64_MAX`), and exports named `delete` and `new`. sporec used to write
headers that did not compile (or, for `x`/`X`, sized `x` as `X`).

compile_shared compiles both headers with -Wall -Wextra -Werror; this test
also checks the names the rule gives, the sizes of the macros, and a call
through the C entry point.

Usage: check_headers.py SPOREC WORKDIR
"""
import ctypes
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import compile_shared  # noqa: E402

SOURCE = """
net = Parameter(ones((3,)))


@export
def delete(s: f32[3], out0: f32[2], double: f32[3], x: f32[4], X: f32[3],
           this: f32[3], NULL: f32[3], INT64_MAX: f32) -> tuple[f32[3], f32]:
    return s + double + X + this + NULL + net, sum(x) + sum(out0) + INT64_MAX


@export
def new(int: f32) -> f32:
    return int * 2.0
"""

# The names the rule gives, in the C prototype's order.
WANT_PROTOTYPE = ("int names_delete(names_state* s, const float* s_, "
                  "const float* out0_, const float* double_, const float* x, "
                  "const float* X_, const float* this_, const float* NULL_, "
                  "const float* INT64_MAX_, float* out0, float* out1)")


def main():
    sporec, workdir = sys.argv[1:3]
    os.makedirs(workdir, exist_ok=True)
    library, _ = compile_shared(sporec, SOURCE, workdir, "names")
    header = open(os.path.join(workdir, "names.h")).read()
    hpp = open(os.path.join(workdir, "names.hpp")).read()
    failures = 0

    def check(ok, what):
        nonlocal failures
        print("%s %s" % ("PASS" if ok else "FAIL", what))
        failures += not ok

    prototype = re.sub(r" /\* [^*]* \*/", "",
                       re.search(r"int names_delete\(.*?\);", header).group(0))
    check(prototype == WANT_PROTOTYPE + ";", "C prototype: " + prototype)
    macros = dict(re.findall(r"#define (\w+) (\d+)", header))
    check(macros.get("NAMES_DELETE_X_NUMEL") == "4" and
          macros.get("NAMES_DELETE_X__NUMEL") == "3",
          "x and X keep their own sizes (4 and 3)")
    check(macros.get("NAMES_DELETE_OUT0__NUMEL") == "2" and
          macros.get("NAMES_DELETE_OUT0_NUMEL") == "3",
          "the parameter out0 and the result out0 keep their own sizes")
    check("inline int delete_(" in hpp and "struct delete__t" in hpp and
          "inline int new_(" in hpp and "const float *int_" in hpp,
          "C++ wrappers delete_ and new_")

    P = ctypes.c_void_p
    state = P()
    rc = library.names_state_create(ctypes.byref(state), None)
    check(rc == 0, "state created")
    library.names_state_init.argtypes = [P, ctypes.c_uint64]
    library.names_state_init(state, 0)
    args = [np.full(3, 1.0, np.float32), np.full(2, 2.0, np.float32),
            np.full(3, 3.0, np.float32), np.arange(4, dtype=np.float32),
            np.full(3, 5.0, np.float32), np.full(3, 6.0, np.float32),
            np.full(3, 7.0, np.float32), np.array(8.0, np.float32)]
    outs = [np.zeros(3, np.float32), np.zeros((), np.float32)]
    rc = library.names_delete(state, *[a.ctypes.data_as(P)
                                       for a in args + outs])
    want0 = 1 + 3 + 5 + 6 + 7 + 1.0  # net is ones
    want1 = 6 + 4 + 8.0
    check(rc == 0 and np.all(outs[0] == want0) and outs[1] == want1,
          "names_delete: %s, %s (want %s, %s)" % (outs[0], outs[1], want0,
                                                  want1))
    library.names_state_destroy(state)
    print("%d failed" % failures)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
