# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}sema-bad-import.py:3:1: error: only the 'spore' module can be imported, not 'numpy'
import numpy
