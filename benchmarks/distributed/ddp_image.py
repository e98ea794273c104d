"""The image benchmark's setting under DDP: ``torchrun --nproc_per_node 2 ddp_image.py ...`` vs 1 process.

One training run of the budget protocol (the recipe of ``autoassist bench image``: SGD + Nesterov,
linear warm-up over 2% of the run, cosine decay, gradient norm clipped at 5; uniform's budget of
``--epochs`` epochs of ``ceil(N / global batch)`` Boss steps), through the public path (``AutoAssist``,
its DataLoader, ``report``), with ``--global-batch`` split over the processes. Under torchrun the Boss
is wrapped in DistributedDataParallel (gloo) and AutoAssist finds the process group itself.

Rank 0 writes one JSON: final test accuracy, Boss steps, back-propagated instances, wall time, the
Boss's median step time, its waiting time for batches, the feedback gather's time per step, keep
rate, the config, the hardware, the package version and git commit. ``--summarize DIR`` writes
DIR/table.md from the JSONs in DIR.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.utils.data import TensorDataset

from autoassist import AutoAssist, UniformSelector, __version__
from autoassist.bench.hardware import hardware_info
from autoassist.bench.methods import autoassist_kwargs, parse_method, parse_options
from autoassist.bench.runner import TrainConfig, evaluate, lr_at
from autoassist.data.datasets import load_dataset
from autoassist.models import build_model, default_model_for


def run(args: argparse.Namespace) -> None:
    distributed = "RANK" in os.environ
    if distributed:
        dist.init_process_group("gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    torch.set_num_threads(args.threads)
    if args.global_batch % world:
        raise SystemExit(f"--global-batch {args.global_batch} is not divisible by {world} processes")
    batch = args.global_batch // world

    data = load_dataset(args.dataset, args.data_dir, seed=0, limit_train=args.limit_train)
    n = len(data.x_train)
    total_steps = max(1, int(round(args.epochs * math.ceil(n / args.global_batch))))
    cfg = TrainConfig(batch_size=batch, lr=args.lr, warmup_fraction=0.02, clip_grad_norm=5.0,
                      total_steps=total_steps, seed=args.seed)
    spec = parse_method(args.method)
    train_set = TensorDataset(data.x_train, data.y_train)
    if spec.name == "autoassist":
        assist = AutoAssist(train_set, batch_size=batch, seed=args.seed, lag=cfg.lag,
                            **autoassist_kwargs(spec, data, total_steps=total_steps))
    elif spec.name == "uniform":
        assist = AutoAssist(train_set, batch_size=batch, seed=args.seed, lag=cfg.lag, selector=UniformSelector())
    else:
        raise SystemExit(f"--method {args.method}: this benchmark runs uniform and autoassist[:options]")

    model_spec = parse_options(args.model or default_model_for(data.name))
    torch.manual_seed(args.seed)
    boss: nn.Module = build_model(model_spec.name, num_classes=data.num_classes, in_channels=data.input_shape[0],
                                  input_shape=data.input_shape, **model_spec.options)
    model = nn.parallel.DistributedDataParallel(boss) if distributed else boss
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay,
                          nesterov=True)

    step, backprop, step_times = 0, 0, []
    model.train()
    start = time.perf_counter()
    while step < total_steps:
        for idx, (x, y) in assist.loader():
            t0 = time.perf_counter()
            for group in opt.param_groups:
                group["lr"] = lr_at(step / total_steps, cfg)
            loss = assist.report(idx, F.cross_entropy(model(x), y, reduction="none"))
            opt.zero_grad(set_to_none=True)
            loss.backward()  # under DDP: the gradients' all-reduce
            nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_grad_norm or 0.0)
            opt.step()
            step_times.append(time.perf_counter() - t0)
            step += 1
            backprop += len(idx) * world
            if step >= total_steps:
                break
    wall = time.perf_counter() - start
    stats = assist.stats()
    assist.close()
    accuracy = evaluate(boss, data.x_test, data.y_test)
    if rank == 0:
        record: dict[str, Any] = {
            "method": args.method, "processes": world, "batch_per_process": batch, "global_batch": args.global_batch,
            "seed": args.seed, "final_test_accuracy": accuracy, "boss_steps": step, "backprop_instances": backprop,
            "wall_time_s": wall, "boss_step_median_ms": 1e3 * statistics.median(step_times),
            "boss_wait_s": stats["wait_seconds"], "exchange_ms_per_step": stats["exchange_ms_per_step"],
            "exchanges": stats["exchanges"], "keep_rate": stats["keep_rate"],
            "selector_cpu_s": stats["selector_cpu_seconds"],
            "config": {**vars(args), "total_steps": total_steps, "num_train": n},
            "hardware": hardware_info(), "version": __version__,
        }
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(record, indent=1))
        print(f"{args.method} x{world}: accuracy {100 * accuracy:.2f}%, {step} steps, wall {wall:.1f}s, "
              f"Boss step {record['boss_step_median_ms']:.2f} ms, wait {stats['wait_seconds']:.2f}s, "
              f"gather {stats['exchange_ms_per_step']:.2f} ms/step", flush=True)
    if distributed:
        dist.destroy_process_group()


def summarize(folder: Path) -> None:
    runs = [r for r in (json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))) if "method" in r]
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in runs:
        groups.setdefault((r["method"], r["processes"]), []).append(r)

    def med(rs: list[dict[str, Any]], key: str, scale: float = 1.0) -> str:
        values = [scale * r[key] for r in rs]
        return f"{np.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"

    lines = ["| method | processes x batch | seeds | test accuracy % | Boss steps | wall s | Boss step ms | "
             "Boss wait s | gather ms/step | keep rate |", "|---|---|---|---|---|---|---|---|---|---|"]
    for (method, procs), rs in sorted(groups.items()):
        lines.append(f"| {method} | {procs} x {rs[0]['batch_per_process']} | {len(rs)} | "
                     f"{med(rs, 'final_test_accuracy', 100)} | {rs[0]['boss_steps']} | {med(rs, 'wall_time_s')} | "
                     f"{med(rs, 'boss_step_median_ms')} | {med(rs, 'boss_wait_s')} | {med(rs, 'exchange_ms_per_step')} | "
                     f"{med(rs, 'keep_rate')} |")
    lines.append("\nMedian over seeds (min-max). Made by `ddp_image.py --summarize` from the JSON files in this folder.")
    (folder / "table.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="fashion-mnist")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--model", default="cnn:width=16")
    p.add_argument("--method", default="autoassist", help="uniform or autoassist[:key=value,...]")
    p.add_argument("--epochs", type=float, default=5.0)
    p.add_argument("--global-batch", type=int, default=128, help="instances per step over all processes")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit-train", type=int, default=None)
    p.add_argument("--threads", type=int, default=1, help="torch threads per process")
    p.add_argument("--out", default="runs/ddp-image/result.json")
    p.add_argument("--summarize", default=None, metavar="DIR", help="only write DIR/table.md from DIR/*.json")
    args = p.parse_args()
    if args.summarize:
        summarize(Path(args.summarize))
    else:
        run(args)


if __name__ == "__main__":
    main()
