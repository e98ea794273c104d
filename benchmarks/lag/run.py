"""How long the Boss waits for a batch, by lag, with the default Assistant beside a simulated Boss.

Usage: python benchmarks/lag/run.py [--steps 300] [--boss-ms 10] [--backward-share 0.67]
The Boss is simulated by sleeping (compute that releases the GIL, like a GPU step or torch's kernels):
``report`` comes after the forward share of the step, then the backward share, then the next batch is
asked for, as in the README's loop. The Assistant is AutoAssist's default (loss-history on 784 raw
features of 60,000 instances, Fashion-MNIST's size), at batch 128. Prints the wait per step by lag.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from torch.utils.data import TensorDataset

from autoassist import AutoAssist


def run(lag: int, steps: int, boss_s: float, backward_share: float, data: TensorDataset) -> dict[str, float]:
    assist = AutoAssist(data, batch_size=128, seed=0, lag=lag, progress=False)
    rng = np.random.default_rng(0)
    waits = []
    it = iter(assist.batches)
    for _ in range(steps):
        start = time.perf_counter()
        idx = next(it)
        waits.append(time.perf_counter() - start)
        time.sleep(boss_s * (1 - backward_share))  # forward
        assist.batches.report(idx, torch.as_tensor(rng.exponential(size=len(idx))))
        time.sleep(boss_s * backward_share)  # backward and optimiser step
    stats = assist.stats()
    assist.close()
    w = np.asarray(waits[1:]) * 1000
    return {"lag": lag, "wait_ms_mean": float(w.mean()), "wait_ms_median": float(np.median(w)),
            "wait_ms_p99": float(np.percentile(w, 99)), "steps_waiting_over_1ms": int((w > 1).sum()),
            "worker_cpu_ms_per_step": 1000 * stats["selector_cpu_seconds"] / steps,
            "keep_rate": stats["keep_rate"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--boss-ms", type=float, default=10.0)
    p.add_argument("--backward-share", type=float, default=0.67)
    args = p.parse_args()
    g = torch.Generator().manual_seed(0)
    data = TensorDataset(torch.rand(60000, 1, 28, 28, generator=g), torch.randint(0, 10, (60000,), generator=g))
    for lag in (1, 2, 4):
        print(json.dumps(run(lag, args.steps, args.boss_ms / 1000, args.backward_share, data)), flush=True)


if __name__ == "__main__":
    main()
