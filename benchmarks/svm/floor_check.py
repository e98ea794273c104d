"""Drift shrinking's floor ``shrink_prob_min`` (a computed instance's weight is at most 1/floor), six seeds:
passes and updates (/n) from which the averaged objective stays below 1e-2, per seed; the bench's splits
and LIBLINEAR optimum (``scale_sweep.py``'s sets and rows).

    PYTHONPATH=src python benchmarks/svm/floor_check.py SET PASSES FLOOR [FLOOR ...] >> benchmarks/svm/floor_check.txt
"""

from __future__ import annotations

import sys

from autoassist.bench.svm import _optimum
from scale_sweep import median, sets, stay_per_seed, training_set  # beside this script

SEEDS = range(6)


def main() -> None:
    name, passes, floors = sys.argv[1], int(sys.argv[2]), [float(f) for f in sys.argv[3:]]
    path, features, _, split = sets()[name]
    X, y = training_set(path, features, split)
    n, lam = X.shape[0], 1.0 / X.shape[0]
    optimum = _optimum(X, y, lam)[0]
    for floor in floors:
        passes_, updates = stay_per_seed(X, y, optimum, passes, SEEDS, shrink_prob_min=floor)
        print(f"{name} floor {floor}: passes {[None if p is None else int(p) for p in passes_]} "
              f"(median {median(passes_):.1f}), updates/n "
              f"{[None if u is None else round(u / n, 1) for u in updates]} (median {median(updates) / n:.1f}); "
              f"{passes} passes run", flush=True)


if __name__ == "__main__":
    main()
