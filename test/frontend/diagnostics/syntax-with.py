# RUN: not sporec %s --emit=spore 2>&1 | FileCheck %s
# CHECK: {{.*}}syntax-with.py:3:1: error: 'with' statements are not part of the Spore language
with a:
    pass
