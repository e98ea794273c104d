"""The averaging's power ``average_weighting`` (eta: the k-th iterate weighted about k**eta) for uniform SGD,
uniform SGD with stale gradients and drift shrinking (the default), seeds 0-2: passes and updates (/n) from which
the averaged objective stays below 1e-2, per seed; the bench's splits and LIBLINEAR optimum (``scale_sweep.py``'s
sets and rows). Tunes uniform SGD's averaging as carefully as shrinking's.

    PYTHONPATH=src python benchmarks/svm/averaging_sweep.py SET PASSES >> benchmarks/svm/averaging_sweep.txt
"""

from __future__ import annotations

import sys

from autoassist.bench.svm import _optimum
from scale_sweep import median, sets, stay_per_seed, training_set  # beside this script

SEEDS = (0, 1, 2)
POWERS = (1.0, 3.0, 7.0, 15.0, 31.0)
METHODS = {"uniform-avg": dict(shrinking="off"), "uniform-sg-avg": dict(shrinking="off", stale_gradients=True),
           "shrinking-avg": dict(shrinking="drift")}


def main() -> None:
    name, passes = sys.argv[1], int(sys.argv[2])
    path, features, _, split = sets()[name]
    X, y = training_set(path, features, split)
    n, lam = X.shape[0], 1.0 / X.shape[0]
    optimum = _optimum(X, y, lam)[0]
    for method, params in METHODS.items():
        for power in POWERS:
            passes_, updates = stay_per_seed(X, y, optimum, passes, SEEDS, average_weighting=power, **params)
            print(f"{name} {method} eta {power:g}: passes {[None if p is None else int(p) for p in passes_]} "
                  f"(median {median(passes_):.0f}), updates/n {[None if u is None else round(u / n, 1) for u in updates]} "
                  f"(median {median(updates) / n:.1f}); {passes} passes run", flush=True)


if __name__ == "__main__":
    main()
