"""Where a steady-state pass goes on one set: uniform-avg and shrinking-avg trained for WARM passes, then
the median training time of the next 20 passes (the estimator's clock), the updates and gradient changes per
pass, the time of drift shrinking's plan alone (``drift_plan`` on the same state, 50 repeats) and of one
full sweep of margins (one gather per row, for scale).

    PYTHONPATH=src python benchmarks/svm/pass_profile.py DATA N_FEATURES [WARM] > benchmarks/svm/pass_profile.txt

DATA is held out 20% as ``bench svm --test-fraction 0.2`` does.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from autoassist.bench.svm import METHODS, _split
from autoassist.linear import ShrinkingSVC
from autoassist.linear import _kernels as K
from _plan import next_plan, trained, training_rows


def main() -> None:
    X, y, _, _ = _split(argparse.Namespace(data=sys.argv[1], test=None, test_fraction=0.2,
                                           n_features=int(sys.argv[2])))
    warm = int(sys.argv[3]) if len(sys.argv) > 3 else 60
    n = X.shape[0]
    print(f"{sys.argv[1]}: n = {n}; passes {warm + 1}-{warm + 20}")
    for name in ("uniform-avg", "shrinking-avg"):
        # partial_fit, not fit: fit drops the state the plan reads
        clf = trained(ShrinkingSVC(alpha=1.0 / n, max_iter=1, random_state=0, **METHODS[name]), X, y, warm)
        prepared, labels = training_rows(clf, X, y)
        times = []
        for _ in range(20):
            before = clf._seconds
            clf.partial_fit(X, y)
            times.append(clf._seconds - before)
        h = clf.history_
        print(f"{name}: {np.median(times) * 1e3:.2f} ms per pass; updates/n per pass "
              f"{(h[-1]['updates'] - h[-21]['updates']) / 20 / n:.3f}; gradient changes per pass "
              f"{(h[-1]['gradient_changes'] - h[-21]['gradient_changes']) / 20:.0f}")
        if name == "shrinking-avg":
            p = clf._check_params()
            plan = []
            for r in range(50):
                streak = clf._streak.copy()
                t = time.perf_counter()
                m = next_plan(clf, p, prepared.inv_xnorms, r + 1, streak)
                plan.append(time.perf_counter() - t)
            print(f"  its plan alone: {np.median(plan) * 1e3:.2f} ms ({m / n:.3f} of n computed)")
    out = np.empty(n)
    t = time.perf_counter()
    for _ in range(20):
        K.margins(prepared.data, prepared.indices, prepared.indptr, labels, clf._v, 1.0, out)
    print(f"one sweep of all n margins: {(time.perf_counter() - t) / 20 * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
