"""A method against uniform run with other batching (another pool, batcher or batch size), per seed.

levels.py pairs a method with uniform of the same folder, i.e. the same batching. Other batching gives other epochs
(85 steps at pool 4, 69 at pool 32 on the clean corpus), so the two evaluation grids differ. With ``--steps`` this
script pairs each of the method's evaluation steps with uniform's nearest one and prints, per pair, the method's
validation BLEU minus uniform's of the same seed (mean +- standard error over seeds), and the test BLEU gap.

With ``--x COLUMN --at V ...`` both curves are read on another axis, e.g. ``target_tokens`` (target tokens trained
on, padding aside: it flatters batching that pads more) or ``padded_tokens`` (what the Boss computes on, padding
included; runs since the fifteenth session), each interpolated linearly at the values V; and per seed the axis value at which each run first reaches,
and from which it stays at, ``--level`` (default: uniform's median final validation BLEU - 0.5), medians over
seeds and the method's as a multiple of uniform's.

    python benchmarks/translation/synthetic-lab/cross_pool.py --method autoassist:assistant=paper,prefer=easy \\
        --steps 850 935 1105 -- benchmarks/translation/synthetic-lab/noise0-pool4 \\
        benchmarks/translation/synthetic-lab/noise0
    python benchmarks/translation/synthetic-lab/cross_pool.py --method uniform --x target_tokens \\
        --at 4e5 6e5 8e5 1e6 -- METHOD_FOLDER UNIFORM_FOLDER
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from levels import mean_se, ratio

from autoassist.bench.curves import time_to_stay, time_to_target


def full_runs(folder: str, method: str) -> dict[int, dict[str, Any]]:
    runs = json.loads((Path(folder) / "results.json").read_text())["runs"]
    return {r["seed"]: r for r in runs if r["method"] == method and r["fraction"] == 1}


def on_steps(method: dict[int, dict[str, Any]], uniform: dict[int, dict[str, Any]], seeds: list[int],
             steps: list[int]) -> None:
    for step in steps:
        gaps, paired = [], set()
        for seed in seeds:
            mine, base = method[seed]["curves"], uniform[seed]["curves"]
            j = int(np.argmin(np.abs(np.array(base["step"]) - step)))
            paired.add(base["step"][j])
            gaps.append(mine["val_bleu"][mine["step"].index(step)] - base["val_bleu"][j])
        print(f"  step {step} against uniform's step {sorted(paired)}: val BLEU gap {mean_se(gaps)}")


def on_axis(method: dict[int, dict[str, Any]], uniform: dict[int, dict[str, Any]], seeds: list[int], x: str,
            at: list[float], level: float | None) -> None:
    def bleu_at(run: dict[str, Any], value: float) -> float:
        return float(np.interp(value, run["curves"][x], run["curves"]["val_bleu"], right=np.nan))

    for value in at:
        gaps = [bleu_at(method[s], value) - bleu_at(uniform[s], value) for s in seeds]
        kept = [g for g in gaps if np.isfinite(g)]
        print(f"  {x} {value:g}: val BLEU gap {mean_se(kept) if kept else 'n/a'} ({len(kept)} seeds reach it)")
    if level is None:
        level = float(np.median([uniform[s]["final_val_bleu"] for s in uniform])) - 0.5
    for name, find in (("first", time_to_target), ("stays", time_to_stay)):
        def reach(run: dict[str, Any]) -> float:
            found = find(run["curves"], level, axis=x, metric="val_bleu")
            return float("inf") if found is None else found

        mine = float(np.median([reach(method[s]) for s in seeds]))
        base = float(np.median([reach(uniform[s]) for s in seeds]))
        print(f"  {x} to {level:.2f} ({name}), median: method {mine:g}, uniform {base:g}, {ratio(mine, base)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", required=True)
    parser.add_argument("--steps", type=int, nargs="+", help="the method's evaluation steps (nearest pairing)")
    parser.add_argument("--x", default=None, help="another axis: a curve column, e.g. target_tokens")
    parser.add_argument("--at", type=float, nargs="+", default=[], help="values of --x to compare at")
    parser.add_argument("--level", type=float, default=None, help="validation BLEU to reach (with --x)")
    parser.add_argument("method_folder")
    parser.add_argument("uniform_folder")
    args = parser.parse_args(argv)
    if (args.steps is None) == (args.x is None):
        parser.error("give --steps, or --x with --at")
    method, uniform = full_runs(args.method_folder, args.method), full_runs(args.uniform_folder, "uniform")
    seeds = sorted(set(method) & set(uniform))
    print(f"{args.method} ({args.method_folder}) minus uniform ({args.uniform_folder}), seeds {seeds}")
    if args.steps is not None:
        on_steps(method, uniform, seeds, args.steps)
    else:
        on_axis(method, uniform, seeds, args.x, args.at, args.level)
    print(f"  test BLEU gap (whole runs): {mean_se([method[s]['test_bleu'] - uniform[s]['test_bleu'] for s in seeds])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
