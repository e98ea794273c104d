"""What the feedback gather costs: ``torchrun --nproc_per_node 2 gather_cost.py [--out FILE]``.

Times ``FeedbackExchange`` (the one ``all_gather`` per step AutoAssist does under DDP) back to back
for several per-rank batch sizes, after a barrier, on the gloo group it creates; and checks that a
thread blocked in the gather holds no lock the Boss's thread needs (the GIL is released): the main
thread's progress on a pure-Python loop is counted while a worker thread waits in a gather that
the other rank joins only 1 s later.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from autoassist.bench.hardware import hardware_info
from autoassist.distributed import FeedbackExchange


def spin(seconds: float) -> int:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    exchange = FeedbackExchange(width=128)
    result: dict[str, object] = {"processes": dist.get_world_size(), "hardware": hardware_info()}

    baseline = spin(0.5)
    if rank == 0:
        worker = threading.Thread(target=exchange, args=(0, np.arange(64), np.ones(64)))
        worker.start()
        time.sleep(0.05)
        during = spin(0.5)
        worker.join()
        result["main_thread_progress_while_gather_waits"] = during / baseline
    else:
        time.sleep(1.0)
        exchange(0, np.arange(64), np.ones(64))

    timings = {}
    for size in (64, 128, 1024):
        idx, losses = np.arange(size, dtype=np.int64), np.random.default_rng(rank).random(size)
        for step in range(20):  # warm-up (and the width grows to 1024 once)
            exchange(step, idx, losses)
        exchange.barrier()
        start = time.perf_counter()
        for step in range(args.repeats):
            exchange(step, idx, losses)
        timings[size] = 1e3 * (time.perf_counter() - start) / args.repeats
    result["ms_per_gather_by_batch_per_rank"] = timings
    if rank == 0:
        print(json.dumps({k: v for k, v in result.items() if k != "hardware"}, indent=1))
        if args.out:
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            Path(args.out).write_text(json.dumps(result, indent=1))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
