"""Boss steps to each validation-BLEU level, per method, medians over seeds (read from bench translate's JSON).

For every method of the given results.json files (full-budget runs, or ``--fraction F``), and every level L:
the median over seeds of the first Boss step at which the greedy validation BLEU is >= L and of the step from
which it stays >= L (``time_to_target`` / ``time_to_stay`` on the step axis; a seed that never gets there
counts as infinite; a median that is infinite prints as inf), and the ratio of each to uniform's. Then final
validation and test BLEU (median, min-max), the overall keep rate, the share of the back-propagated pairs that are
corrupted (synthetic corpus, runs that count it), and a paired measure less noisy than a crossing: per seed, the
method's validation BLEU minus uniform's of the same seed, averaged over the evaluations of the second half of the
run (median, min-max over seeds, mean +- standard error, and in how many seeds it is positive), and the test BLEU
minus uniform's of the same seed (mean +- standard error). The first level is always the issue's target,
uniform's median final validation BLEU minus 0.5. A method found in several folders gets a row per folder (the
later ones named after theirs); the first folder's uniform is the baseline. ``--gap-curve`` adds, per method, the paired gap at every
evaluation (mean over seeds): where along the run a method falls behind or gets ahead.

    python benchmarks/translation/synthetic-lab/levels.py --levels 50 60 70 [--gap-curve] -- DIR [DIR ...]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from autoassist.bench.curves import time_to_stay, time_to_target


def steps_to(curve: dict[str, list[Any]], level: float, stays: bool) -> float:
    found = (time_to_stay if stays else time_to_target)(curve, level, axis="step", metric="val_bleu")
    return float("inf") if found is None else found


def ratio(value: float, base: float) -> str:
    """``value / base`` as "0.92x"; "never" where the method's median never gets there, "-" where uniform's does not."""
    if not np.isfinite(base):
        return "-"
    return f"{value / base:.2f}x" if np.isfinite(value) else "never"


def spread(values: list[float]) -> str:
    return f"{np.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def mean_se(values: list[float]) -> str:
    """Mean +- standard error over seeds (the seeds' runs see different data orders, so this is the spread that
    a difference between methods has to clear)."""
    se = float(np.std(values, ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")
    return f"{np.mean(values):+.2f} +- {se:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=float, nargs="+", required=True)
    parser.add_argument("--fraction", type=float, default=1.0)
    parser.add_argument("--gap-curve", action="store_true", help="the paired gap at every evaluation, per method")
    parser.add_argument("folders", nargs="+")
    args = parser.parse_args(argv)
    runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    first_folder: dict[str, str] = {}
    for folder in args.folders:
        for run in json.loads((Path(folder) / "results.json").read_text())["runs"]:
            if run["fraction"] == args.fraction:
                # a method already read from an earlier folder (e.g. rerun at another commit) is its own row,
                # named after its folder; the first folder's uniform is the baseline
                label = run["method"] if first_folder.setdefault(run["method"], folder) == folder \
                    else f"{run['method']} ({Path(folder).name})"
                runs[label].append(run)
    if "uniform" not in runs:
        raise SystemExit("levels.py: no uniform runs at this fraction to compare with")
    target = float(np.median([r["final_val_bleu"] for r in runs["uniform"]])) - 0.5
    args.levels = [round(target, 2), *args.levels]  # the target: uniform's final BLEU - 0.5
    print(f"target = uniform's median final validation BLEU - 0.5 = {target:.2f} (the first level)")
    medians: dict[str, dict[tuple[float, bool], float]] = {}
    for method, group in runs.items():
        medians[method] = {(level, stays): float(np.median([steps_to(r["curves"], level, stays) for r in group]))
                           for level in args.levels for stays in (False, True)}
    uniform_by_seed = {r["seed"]: np.array(r["curves"]["val_bleu"]) for r in runs["uniform"]}
    uniform_test = {r["seed"]: r["test_bleu"] for r in runs["uniform"]}
    print("| method | seeds | final val BLEU | test BLEU | keep rate | corrupted share of back-propagated pairs | "
          "val BLEU - uniform's, 2nd half: median (min to max); mean +- s.e. | seeds ahead | "
          "test BLEU - uniform's: mean +- s.e. | "
          + " | ".join(f"steps to {level:g} (first / stays), x uniform" for level in args.levels) + " |")
    print("|---|---|---|---|---|---|---|---|---|" + "---|" * len(args.levels))
    for method, group in runs.items():
        cells = []
        for level in args.levels:
            first, stays = medians[method][(level, False)], medians[method][(level, True)]
            base_first, base_stays = medians["uniform"][(level, False)], medians["uniform"][(level, True)]
            cells.append(f"{first:.0f} / {stays:.0f} ({ratio(first, base_first)} / {ratio(stays, base_stays)})")
        keep = np.median([r["selector_stats"]["keep_rate"] for r in group])
        gaps, test_gaps = [], []
        for r in group:
            bleu, base = np.array(r["curves"]["val_bleu"]), uniform_by_seed.get(r["seed"])
            if base is not None and len(base) == len(bleu):
                half = len(bleu) // 2
                gaps.append(float((bleu[half:] - base[half:]).mean()))
                test_gaps.append(r["test_bleu"] - uniform_test[r["seed"]])
        paired = f"{np.median(gaps):+.2f} ({min(gaps):+.2f} to {max(gaps):+.2f}); {mean_se(gaps)}" if gaps else "n/a"
        ahead = f"{sum(g > 0 for g in gaps)}/{len(gaps)}" if gaps else "n/a"
        # counted by the runs since 539c4de (the synthetic corpus's corrupted pairs); older runs: n/a
        shares = [r["noisy_backprop"] / r["backprop_instances"] for r in group if r.get("noisy_backprop") is not None]
        noise = f"{np.median(shares):.3f} ({min(shares):.3f}-{max(shares):.3f})" if shares else "n/a"
        if shares and len(shares) < len(group):
            noise += f" ({len(shares)} of {len(group)} runs counted)"
        print(f"| {method} | {len(group)} (seeds {' '.join(str(r['seed']) for r in group)}) | "
              f"{spread([r['final_val_bleu'] for r in group])} | {spread([r['test_bleu'] for r in group])} | "
              f"{keep:.2f} | {noise} | {paired} | {ahead} | {mean_se(test_gaps) if test_gaps else 'n/a'} | "
              + " | ".join(cells) + " |")
    if args.gap_curve:
        print_gap_curves(runs, uniform_by_seed)
    return 0


def print_gap_curves(runs: dict[str, list[dict[str, Any]]], uniform: dict[int, np.ndarray]) -> None:
    """Per method, the validation BLEU minus uniform's (``uniform``: its curve per seed) of the same seed at each
    evaluation, mean over seeds. Seeds whose budgets differ (a token pass packs differently by seed) evaluate on
    different grids: each seed's curves are read at the first uniform run's fractions of the run (interpolated)."""
    steps = runs["uniform"][0]["curves"]["step"]
    where = np.asarray(steps, dtype=float) / steps[-1]

    def on_grid(run: dict[str, Any], values: np.ndarray) -> np.ndarray:
        own = np.asarray(run["curves"]["step"], dtype=float)
        return np.interp(where, own / own[-1], values)

    base = {r["seed"]: on_grid(r, uniform[r["seed"]]) for r in runs["uniform"] if r["seed"] in uniform}
    print("\n| method | " + " | ".join(str(s) for s in steps) + " |")
    print("|---|" + "---|" * len(steps))
    print("| uniform's BLEU (mean) | " + " | ".join(f"{v:.1f}" for v in np.mean(list(base.values()), 0)) + " |")
    for method, group in runs.items():
        gaps = [on_grid(r, np.array(r["curves"]["val_bleu"]) - uniform[r["seed"]]) for r in group
                if r["seed"] in uniform and len(uniform[r["seed"]]) == len(r["curves"]["val_bleu"])]
        if method != "uniform" and gaps:
            print(f"| {method} | " + " | ".join(f"{v:+.1f}" for v in np.mean(gaps, 0)) + " |")


if __name__ == "__main__":
    raise SystemExit(main())
