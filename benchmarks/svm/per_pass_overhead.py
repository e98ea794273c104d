"""Microseconds per pass of uniform-avg-p15 and shrinking-avg on a small set (where a pass is mostly the fixed cost
of calling the compiled loop), for one or more importable copies of the package, fits alternated: median over 35
fits (of 40; the first 5 warm up) of the estimator's own clock divided by the passes.

    PYTHONPATH=src[:DIR_WITH_A_RENAMED_COPY] python benchmarks/svm/per_pass_overhead.py DATA N_FEATURES PACKAGE [PACKAGE ...]

PACKAGE: ``autoassist`` or a copy of it at another commit, renamed (e.g. ``autoassist_old``, imports rewritten), as
``bench svm_interleave --also-from`` takes. DATA is held out 20% as ``bench svm --test-fraction 0.2`` does; the
passes are heart_scale's to stay below 1e-2 (51 and 29).
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys

from autoassist.bench.svm import METHODS, VARIANTS, _split


def main() -> None:
    X, y, _, _ = _split(argparse.Namespace(data=sys.argv[1], test=None, test_fraction=0.2,
                                           n_features=int(sys.argv[2])))
    packages = sys.argv[3:]
    estimators = {name: importlib.import_module(f"{name}.linear").ShrinkingSVC for name in packages}
    settings = {**METHODS, **VARIANTS}
    times: dict[tuple[str, str], list[float]] = {}
    for rep in range(40):
        for name, estimator in estimators.items():
            for method, passes in (("uniform-avg-p15", 51), ("shrinking-avg", 29)):
                clf = estimator(alpha=1.0 / X.shape[0], max_iter=passes, random_state=rep % 5,
                                **settings[method]).fit(X, y)
                times.setdefault((name, method), []).append(clf._seconds / passes * 1e6)
    for (name, method), t in times.items():
        print(f"{name} {method}: {statistics.median(t[5:]):.1f} us per pass")


if __name__ == "__main__":
    main()
