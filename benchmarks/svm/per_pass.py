"""Training microseconds per pass of uniform-avg, uniform-sg-avg and shrinking-avg along a fit, by phase: median over seeds
of each pass's time (the estimator's own clock, evaluation excluded), whole fits alternated by method.

    PYTHONPATH=src python benchmarks/svm/per_pass.py DATA N_FEATURES PASSES [SEEDS]

DATA is held out 20% as ``bench svm --test-fraction 0.2`` does.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from autoassist.bench.svm import METHODS, _split
from autoassist.linear import ShrinkingSVC


def main() -> None:
    X, y, _, _ = _split(argparse.Namespace(data=sys.argv[1], test=None, test_fraction=0.2,
                                           n_features=int(sys.argv[2])))
    passes, seeds = int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 20
    lam = 1.0 / X.shape[0]
    names = ("uniform-avg", "uniform-sg-avg", "shrinking-avg")
    for name in names:  # compile
        ShrinkingSVC(alpha=lam, max_iter=3, random_state=0, **METHODS[name]).fit(X, y)
    per: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for seed in range(seeds):
        for name in names if seed % 2 == 0 else names[::-1]:
            clf = ShrinkingSVC(alpha=lam, max_iter=passes, random_state=seed, **METHODS[name]).fit(X, y)
            per[name].append(np.diff([h["seconds"] for h in clf.history_]) * 1e6)
    print(f"{sys.argv[1]}: n = {X.shape[0]}, {passes} passes, {seeds} seeds; microseconds per pass (median over seeds)")
    for name in names:
        us = np.median(np.array(per[name]), axis=0)
        print(f"{name:14s} pass 1 {us[0]:.1f}, 2 {us[1]:.1f}, 3-10 {us[2:10].mean():.1f}, 11-50 {us[10:50].mean():.1f}, "
              f"51-{passes} {us[50:].mean():.1f}; cumulative after 51 passes {us[:51].sum():.0f}, after {passes} {us.sum():.0f}")


if __name__ == "__main__":
    main()
