# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}syntax-dict.py:3:5: error: dict and set displays are not part of the Spore language
X = {1: 2}
