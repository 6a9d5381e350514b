#!/usr/bin/env python3
"""The CMake package end to end: install Spore into a prefix, configure and
build test/package/ (a separate project using find_package(Spore) and
spore_add_model) against it, run its app on random inputs and compare with
NumPy.

Usage: check_package.py BUILD_DIR WORKDIR CXX_COMPILER
"""
import os
import re
import shutil
import subprocess
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "e2e"))
from reference import close, mlp  # noqa: E402

build, work, cxx = sys.argv[1:4]
source_root = os.path.abspath(os.path.join(here, "..", ".."))
prefix = os.path.join(work, "prefix")
project = os.path.join(work, "build")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)


def sh(*args):
    print("$ " + " ".join(args), flush=True)
    subprocess.run(args, check=True)


sh("cmake", "--install", build, "--prefix", prefix)
sh("cmake", "-S", here, "-B", project, "-G", "Ninja",
   "-DCMAKE_PREFIX_PATH=" + prefix, "-DCMAKE_CXX_COMPILER=" + cxx,
   "-DSPORE_MLP_MODEL=" + os.path.join(source_root, "examples/mlp/mlp.py"))
sh("cmake", "--build", project)

# The models were compiled by the installed sporec, not the build tree's.
ninja = open(os.path.join(project, "build.ninja")).read()
installed = os.path.join(prefix, "bin", "sporec")
failures = 0
if installed not in ninja:
    print("FAIL the models were not compiled by %s" % installed)
    failures += 1

rng = np.random.default_rng(5)
shapes = {"w1": (784, 256), "b1": (256,), "w2": (256, 10), "b2": (10,),
          "x": (64, 784)}
arrays = {k: (rng.standard_normal(s) * 0.1).astype(np.float32)
          for k, s in shapes.items()}
for k, a in arrays.items():
    np.save(os.path.join(work, k + ".npy"), a)
out = os.path.join(work, "out.npy")
proc = subprocess.run([os.path.join(project, "app"), work, out],
                      capture_output=True, text=True, check=True)
ok, why = close(np.load(out), mlp(*[a.astype(np.float64)
                                    for a in arrays.values()]))
print("PASS mlp through find_package(Spore)" if ok else
      "FAIL mlp through find_package(Spore): " + why)
failures += 0 if ok else 1
ok = proc.stdout.strip() == "scale: 3 5 7"
print("%s my-model.py through my_model.h: %r" % ("PASS" if ok else "FAIL",
                                                  proc.stdout.strip()))
failures += 0 if ok else 1

# docs/train-a-model.md, as a reader follows it: its model.py,
# CMakeLists.txt and train.cpp, built against the installed package and
# run on Debian's Fashion-MNIST (skipped, saying so, without the files).
guide = open(os.path.join(source_root, "docs", "train-a-model.md")).read()
blocks = {lang: re.findall(r"```%s\n(.*?)```" % lang, guide, re.S)
          for lang in ("python", "cmake", "cpp")}
folder = os.path.join(work, "guide")
os.makedirs(folder)
for name, text in (("model.py", blocks["python"][0]),
                   ("CMakeLists.txt", blocks["cmake"][0]),
                   ("train.cpp", blocks["cpp"][0])):
    with open(os.path.join(folder, name), "w") as f:
        f.write(text)
sh("cmake", "-S", folder, "-B", os.path.join(folder, "build"), "-G", "Ninja",
   "-DCMAKE_PREFIX_PATH=" + prefix, "-DCMAKE_CXX_COMPILER=" + cxx)
sh("cmake", "--build", os.path.join(folder, "build"))
if not os.path.exists("/usr/share/datasets/fashion-mnist/"
                      "train-images-idx3-ubyte.gz"):
    print("SKIP the guide's training: Debian's dataset-fashion-mnist is not "
          "installed (scripts/setup installs it)")
else:
    proc = subprocess.run([os.path.join(folder, "build", "train")],
                          cwd=folder, capture_output=True, text=True)
    found = re.search(r"accuracy (0\.\d+), checkpoint (\S+)", proc.stdout)
    ok = proc.returncode == 0 and found and float(found.group(1)) > 0.85 \
        and os.path.exists(os.path.join(folder, found.group(2)))
    print("%s the guide's train.cpp: %s" % ("PASS" if ok else "FAIL",
                                           proc.stdout.strip()[-200:] +
                                           proc.stderr[-500:]))
    failures += 0 if ok else 1
sys.exit(1 if failures else 0)
