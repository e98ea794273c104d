"""A method against uniform run with other batching (another pool), per seed at about the same Boss step.

levels.py pairs a method with uniform of the same folder, i.e. the same batching. Different pools give different
epochs (85 steps at pool 4, 69 at pool 32 on the clean corpus), so the two evaluation grids differ; this script
pairs each of the method's evaluation steps with uniform's nearest one and prints, per pair, the method's
validation BLEU minus uniform's of the same seed (mean +- standard error over seeds), and the test BLEU gap.

    python benchmarks/translation/synthetic-lab/cross_pool.py --method autoassist:assistant=paper,prefer=easy \\
        --steps 850 935 1105 -- benchmarks/translation/synthetic-lab/noise0-pool4 \\
        benchmarks/translation/synthetic-lab/noise0
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from levels import mean_se


def full_runs(folder: str, method: str) -> dict[int, dict[str, Any]]:
    runs = json.loads((Path(folder) / "results.json").read_text())["runs"]
    return {r["seed"]: r for r in runs if r["method"] == method and r["fraction"] == 1}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", required=True)
    parser.add_argument("--steps", type=int, nargs="+", required=True, help="the method's evaluation steps")
    parser.add_argument("method_folder")
    parser.add_argument("uniform_folder")
    args = parser.parse_args(argv)
    method, uniform = full_runs(args.method_folder, args.method), full_runs(args.uniform_folder, "uniform")
    seeds = sorted(set(method) & set(uniform))
    print(f"{args.method} ({args.method_folder}) minus uniform ({args.uniform_folder}), seeds {seeds}")
    for step in args.steps:
        gaps, paired = [], set()
        for seed in seeds:
            mine, base = method[seed]["curves"], uniform[seed]["curves"]
            j = int(np.argmin(np.abs(np.array(base["step"]) - step)))
            paired.add(base["step"][j])
            gaps.append(mine["val_bleu"][mine["step"].index(step)] - base["val_bleu"][j])
        print(f"  step {step} against uniform's step {sorted(paired)}: val BLEU gap {mean_se(gaps)}")
    print(f"  test BLEU gap (whole runs): {mean_se([method[s]['test_bleu'] - uniform[s]['test_bleu'] for s in seeds])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
