#!/usr/bin/env python3
"""Every ```python block of docs/*.md compiles with sporec (--emit=spore),
so the documentation's examples stay true.

Usage: check_docs.py SPOREC DOCS_DIR WORKDIR
"""
import glob
import os
import re
import subprocess
import sys

sporec, docs, workdir = sys.argv[1:4]
os.makedirs(workdir, exist_ok=True)
failures = 0
count = 0
for path in sorted(glob.glob(os.path.join(docs, "*.md"))):
    text = open(path).read()
    for i, block in enumerate(re.findall(r"```python\n(.*?)```", text, re.S)):
        if "@export" not in block:
            continue  # a fragment, not a module
        count += 1
        name = "%s_%d.py" % (os.path.basename(path)[:-3].replace("-", "_"), i)
        src = os.path.join(workdir, name)
        with open(src, "w") as f:
            f.write(block)
        proc = subprocess.run([sporec, src, "--emit=spore", "-o", os.devnull],
                              capture_output=True, text=True)
        ok = proc.returncode == 0
        print(("PASS " if ok else "FAIL ") + "%s block %d" % (os.path.basename(path), i))
        if not ok:
            print(proc.stderr)
        failures += not ok
print("%d examples, %d failed" % (count, failures))
sys.exit(1 if failures or not count else 0)
