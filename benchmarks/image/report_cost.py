"""How long ``BatchGenerator.report`` takes: alone in a loop, and right after a Boss forward pass.

Run from the repository root: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/image/report_cost.py``.
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F

from autoassist.models import build_model
from autoassist.sampler import BatchGenerator
from autoassist.selectors.uniform import UniformSelector

torch.set_num_threads(1)
torch.manual_seed(0)
gen = BatchGenerator(UniformSelector(), 60000, 128, asynchronous=True, max_pending_feedback=10**6)
idx = torch.randint(0, 60000, (128,))
alone = []
losses = torch.rand(128, requires_grad=True) * 2
for _ in range(2000):
    start = time.perf_counter()
    gen.report(idx, losses)
    alone.append(time.perf_counter() - start)
model = build_model("cnn", num_classes=10, in_channels=1, input_shape=(1, 28, 28), width=16)
opt = torch.optim.SGD(model.parameters(), lr=0.01)
x, y = torch.randn(128, 1, 28, 28), torch.randint(0, 10, (128,))
in_loop = []
for _ in range(300):
    out = F.cross_entropy(model(x), y, reduction="none")
    start = time.perf_counter()
    gen.report(idx, out)
    in_loop.append(time.perf_counter() - start)
    out.mean().backward()
    opt.step()
    opt.zero_grad()
print(f"report() of 128 losses: median {1e6 * np.median(alone[100:]):.1f} us alone, "
      f"{1e6 * np.median(in_loop[20:]):.1f} us right after a forward pass of the small CNN")
