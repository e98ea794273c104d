"""Drift shrinking's floor ``shrink_prob_min`` (a computed instance's weight is at most 1/floor), six seeds:
passes and updates (/n) from which the averaged objective stays below 1e-2, per seed; the bench's splits
and LIBLINEAR optimum (``scale_sweep.py``'s sets and rows).

    PYTHONPATH=src python benchmarks/svm/floor_check.py SET PASSES FLOOR [FLOOR ...] >> benchmarks/svm/floor_check.txt
"""

from __future__ import annotations

import sys

import numpy as np

from autoassist.bench.svm import _optimum, stay
from autoassist.linear import ShrinkingSVC
from scale_sweep import sets, training_set  # beside this script

SEEDS = range(6)


def main() -> None:
    name, passes, floors = sys.argv[1], int(sys.argv[2]), [float(f) for f in sys.argv[3:]]
    path, features, _, split = sets()[name]
    X, y = training_set(path, features, split)
    n, lam = X.shape[0], 1.0 / X.shape[0]
    optimum = _optimum(X, y, lam)[0]
    for floor in floors:
        rows = []
        for seed in SEEDS:
            clf = ShrinkingSVC(alpha=lam, max_iter=passes, random_state=seed, average=True, shrink_prob_min=floor).fit(X, y)
            curve = {k: [h[k] for h in clf.history_] for k in ("updates", "pass", "objective")}
            rows.append((stay(curve, optimum, 1e-2, "pass"), stay(curve, optimum, 1e-2, "updates")))
        passes_, updates = [r[0] for r in rows], [r[1] for r in rows]
        med = np.median([np.inf if u is None else u for u in updates]) / n
        print(f"{name} floor {floor}: passes {[None if p is None else int(p) for p in passes_]} "
              f"(median {np.median([np.inf if p is None else p for p in passes_]):.1f}), updates/n "
              f"{[None if u is None else round(u / n, 1) for u in updates]} (median {med:.1f}); {passes} passes run",
              flush=True)


if __name__ == "__main__":
    main()
