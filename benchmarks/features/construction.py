"""Construction cost of AutoAssist's Assistant: the raw-feature matrix against the loss-only Assistant.

Usage: python benchmarks/features/construction.py [--n 1000000] [--d 61] [--workers 0]
Builds a TensorDataset of N float32 inputs of d values (N * d * 4 bytes: 244 MB for the defaults) and
reports the seconds and the peak resident memory added by ``AutoAssist(...)`` for the default
(loss-history on raw features) and the loss-only Assistant, each in a fresh process.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any


class _Items:
    def __init__(self, base: Any) -> None:
        self.base = base

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i: int) -> Any:
        return self.base[i]


def measure(n: int, d: int, assistant: str, workers: int, generic: bool) -> dict[str, float]:
    import torch
    from torch.utils.data import TensorDataset

    from autoassist import AutoAssist

    x = torch.randn(n, d, generator=torch.Generator().manual_seed(0))
    y = torch.randint(0, 10, (n,), generator=torch.Generator().manual_seed(1))
    data: Any = TensorDataset(x, y)
    if generic:  # a map-style dataset that is not a TensorDataset: items are read one by one
        data = _Items(data)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    assist = AutoAssist(data, batch_size=128, assistant=assistant, feature_workers=workers, progress=False)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert assist.assistant is not None
    return {"seconds": seconds, "peak_added_mb": (peak - before) / 1024, "dataset_mb": n * d * 4 / 2**20}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--d", type=int, default=61)
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--generic", action="store_true", help="wrap the data in a plain map-style dataset")
    p.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        print(json.dumps(measure(args.n, args.d, args.one, args.workers, args.generic)))
        return
    out = {}
    for assistant in ("loss-history", "loss-only"):
        done = subprocess.run([sys.executable, __file__, "--n", str(args.n), "--d", str(args.d), "--workers",
                               str(args.workers), "--one", assistant] + (["--generic"] if args.generic else []),
                              capture_output=True, text=True, check=True)
        out[assistant] = json.loads(done.stdout.strip().splitlines()[-1])
        print(assistant, out[assistant], flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
