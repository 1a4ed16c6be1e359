#!/usr/bin/python3
"""Writes tests/data/torch-sort-ties.json: the permutations PyTorch's CPU sort (descending, the
call DeepSeek's reference makes) gives on seeded inputs full of ties. The C++ order of
cpp/src/reference/reference_sort.cpp must reproduce them. Needs Debian's python3-torch:
    /usr/bin/python3 scripts/torch-sort-ties.py"""
import json, os, random
import torch

rng = random.Random(2024)
cases = []
for n in [5, 16, 17, 24, 33, 64, 72, 100, 128, 256, 300, 1000]:
    for levels in (2, 5, 50):
        w = [float(rng.randint(0, levels - 1)) * 0.5 for _ in range(n)]
        order = torch.tensor([w], dtype=torch.float32).sort(-1, descending=True).indices[0].tolist()
        cases.append({'weight': w, 'order': order})
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'data', 'torch-sort-ties.json')
with open(out, 'w') as f:
    json.dump({'torch': torch.__version__, 'cases': cases}, f)
print('wrote %d cases (torch %s)' % (len(cases), torch.__version__))
