"""How drift shrinking's computing probabilities are spread along a fit (seed 0): at some passes, the fraction of
instances the next plan computes, of them the ones with p = 1 and the ones at the floor ``shrink_prob_min`` (the
fraction of all n at the floor is about that count divided by the floor), and the mean streak (passes since an
instance's margin was last computed). Says whether most instances sit at the floor (then a plan that jumps over
them geometrically would cost less than a sweep of n) or at intermediate probabilities.

    PYTHONPATH=src python benchmarks/svm/prob_profile.py DATA N_FEATURES PASS [PASS ...]

DATA is held out 20% as ``bench svm --test-fraction 0.2`` does.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from autoassist.bench.svm import METHODS, _split
from _plan import next_plan, training_rows
from autoassist.linear import ShrinkingSVC


def main() -> None:
    X, y, _, _ = _split(argparse.Namespace(data=sys.argv[1], test=None, test_fraction=0.2,
                                           n_features=int(sys.argv[2])))
    at = sorted(int(a) for a in sys.argv[3:])
    n = X.shape[0]
    clf = ShrinkingSVC(alpha=1.0 / n, max_iter=1, random_state=0, **METHODS["shrinking-avg"])
    clf.partial_fit(X, y, classes=np.unique(y))  # partial_fit, not fit: fit drops the state the plan reads
    prepared, _ = training_rows(clf, X, y)
    for done in range(2, at[-1] + 1):
        clf.partial_fit(X, y)
        if done in at:
            p, buf = clf._check_params(), clf._buffers
            m = next_plan(clf, p, prepared.inv_xnorms, 1, clf._streak.copy())
            probs = buf.draw_probs[:m]
            sure, floor = np.mean(probs == 1.0) * m / n, np.mean(probs == p["prob_min"]) * m / n
            print(f"after pass {done}: computed next {m / n:.3f} of n; of n, computed with p = 1 {sure:.3f}, computed at "
                  f"the floor {floor:.3f} (about {floor / p['prob_min']:.3f} of n at the floor); mean streak "
                  f"{clf._streak.mean():.1f}", flush=True)


if __name__ == "__main__":
    main()
