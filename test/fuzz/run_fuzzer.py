#!/usr/bin/env python3
"""Runs the frontend fuzzer for a while on a seed corpus made of every model
source in the repository (tests, examples, the prelude), and fails if it
finds a crash. New interesting inputs go to WORKDIR/corpus; a crashing input
is kept as WORKDIR/crash-*, and printed.

Usage: run_fuzzer.py FUZZER WORKDIR SECONDS SOURCE_ROOT
"""
import glob
import os
import shutil
import subprocess
import sys

fuzzer, workdir, seconds, root = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
corpus = os.path.join(workdir, "corpus")
seeds = os.path.join(workdir, "seeds")
shutil.rmtree(seeds, ignore_errors=True)
os.makedirs(corpus, exist_ok=True)
os.makedirs(seeds)
sources = (glob.glob(os.path.join(root, "test", "**", "*.py"), recursive=True)
           + glob.glob(os.path.join(root, "examples", "**", "*.py"), recursive=True)
           + [os.path.join(root, "compiler", "frontend", "prelude.py")])
for i, path in enumerate(sorted(sources)):
    # Test drivers are Python, not models: still good syntax to mutate.
    shutil.copy(path, os.path.join(seeds, "seed%04d.py" % i))
print("fuzzing for %s s with %d seeds" % (seconds, len(sources)), flush=True)
proc = subprocess.run(
    [fuzzer, "-max_total_time=" + seconds, "-timeout=20", "-rss_limit_mb=4096",
     "-max_len=8192", "-artifact_prefix=" + os.path.join(workdir, ""),
     "-print_final_stats=1", corpus, seeds],
    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
tail = proc.stdout[-6000:]
print(tail)
if proc.returncode != 0:
    for crash in glob.glob(os.path.join(workdir, "crash-*")) + \
            glob.glob(os.path.join(workdir, "timeout-*")) + \
            glob.glob(os.path.join(workdir, "oom-*")):
        print("== %s" % crash)
        with open(crash, "rb") as f:
            print(f.read()[:2000])
    sys.exit("FAIL: the fuzzer found a crash (exit %d)" % proc.returncode)
print("PASS: no crash")
