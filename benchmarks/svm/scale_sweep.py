"""Drift shrinking with stale gradients: the scale ``shrink_prob`` and kappa ``shrink_drift_scale``, swept.

Updates (/n), passes and training seconds (unpaired: indicative) from which the averaged objective stays
below 1e-2 and 1e-3 relative suboptimality, medians over seeds; the bench's data splits and LIBLINEAR optimum.

    PYTHONPATH=src python benchmarks/svm/scale_sweep.py [DATA_DIR] > benchmarks/svm/scale_sweep.txt
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from autoassist.bench.svm import _load, _optimum, _split, stay
from autoassist.linear import ShrinkingSVC

def sets(data_dir: str = "../shared/data/libsvm") -> dict[str, tuple[str, int, int, bool]]:
    """name: (file, features, passes, held out 20% as bench svm --test-fraction 0.2)."""
    return {
        "heart_scale": (f"{data_dir}/heart_scale", 13, 1000, True),
        "a9a": (f"{data_dir}/a9a.gz", 123, 150, False),
        "w8a": (f"{data_dir}/w8a.gz", 300, 300, True),
        "text": ("runs/svm-text-data/text_train.svm", 60000, 200, False),
    }


def training_set(path: str, features: int, split: bool) -> tuple[Any, np.ndarray]:
    """The rows ``bench svm`` trains on: the whole file, or (``split``) its training part under
    ``--test-fraction 0.2``, by the bench's own ``_split``."""
    if not split:
        return _load(path, features)
    X, y, _, _ = _split(argparse.Namespace(data=path, test=None, test_fraction=0.2, n_features=features))
    return X, y

def median(values: list[float | None]) -> float:
    """Median over seeds, a seed that never got there counting as infinite."""
    return float(np.median([np.inf if v is None else v for v in values]))


def stay_per_seed(X: Any, y: np.ndarray, optimum: float, passes: int, seeds: Any,
                  **params: Any) -> tuple[list[float | None], list[float | None]]:
    """Per seed, the passes and the updates from which the averaged objective stays below 1e-2
    (``ShrinkingSVC(average=True, **params)``, lambda = 1/n, ``passes`` passes)."""
    rows = []
    for seed in seeds:
        clf = ShrinkingSVC(alpha=1.0 / X.shape[0], max_iter=passes, random_state=seed, average=True, **params).fit(X, y)
        curve = {k: [h[k] for h in clf.history_] for k in ("updates", "pass", "objective")}
        rows.append((stay(curve, optimum, 1e-2, "pass"), stay(curve, optimum, 1e-2, "updates")))
    return [r[0] for r in rows], [r[1] for r in rows]


CONFIGS = [("uniform-avg", dict(shrinking="off")), ("uniform-sg-avg", dict(shrinking="off", stale_gradients=True))] + [
    (f"scale {s} kappa {k}", dict(shrink_prob=s, shrink_drift_scale=k)) for s in (1.0, 1.5, 2.0) for k in (2.5, 3.0)]
SEEDS = (0, 1, 2)


def main() -> None:
    print(__doc__.splitlines()[0], f"seeds {list(SEEDS)}\n")
    for name, (path, features, passes, split) in sets(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/libsvm").items():
        X, y = training_set(path, features, split)
        n, lam = X.shape[0], 1.0 / X.shape[0]
        optimum = _optimum(X, y, lam)[0]
        print(f"## {name} (n = {n}, {passes} passes)\n\n| method | upd. stay 1e-2 (/n) | passes | s | upd. stay 1e-3 (/n) |\n|---|---|---|---|---|")
        for label, params in CONFIGS:
            rows = []
            for seed in SEEDS:
                clf = ShrinkingSVC(alpha=lam, max_iter=passes, random_state=seed, average=True, **params).fit(X, y)
                curve = {k: [h[k] for h in clf.history_] for k in ("updates", "pass", "seconds", "objective")}
                rows.append([stay(curve, optimum, target, key) for target, key in
                             ((1e-2, "updates"), (1e-2, "pass"), (1e-2, "seconds"), (1e-3, "updates"))])
            med = [np.median([np.inf if r[j] is None else r[j] for r in rows]) for j in range(4)]
            cells = [f"{med[0] / n:.1f}", f"{med[1]:.0f}", f"{med[2]:.3g}", f"{med[3] / n:.1f}"]
            print(f"| {label} | " + " | ".join("never" if "inf" in c else c for c in cells) + " |", flush=True)
        print()


if __name__ == "__main__":
    main()
