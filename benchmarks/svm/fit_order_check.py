"""ABBA check of the seconds ratio shrinking-avg / uniform-avg: whole fits, one method after the other in
both orders, three seeds, each timed by the estimator's own training clock (evaluation excluded).

    PYTHONPATH=src python benchmarks/svm/fit_order_check.py DATA TEST|- N_FEATURES PASSES_UNIFORM PASSES_SHRINKING [--eval]

``--eval`` evaluates after every pass as ``bench svm`` does (outside the timed pass).
"""
import sys, time, numpy as np
from autoassist.bench.svm import METHODS, _split
from autoassist.linear import ShrinkingSVC
import argparse
ns = argparse.Namespace(data=sys.argv[1], test=sys.argv[2] if sys.argv[2] != '-' else None, test_fraction=0.2, n_features=int(sys.argv[3]))
X, y, Xt, yt = _split(ns)
lam = 1.0 / X.shape[0]
pu, ps = int(sys.argv[4]), int(sys.argv[5])
ShrinkingSVC(alpha=lam, max_iter=2, random_state=0, **METHODS['shrinking-avg']).fit(X[:300], y[:300])
ShrinkingSVC(alpha=lam, max_iter=2, random_state=0, **METHODS['uniform-avg']).fit(X[:300], y[:300])
EVAL = "--eval" in sys.argv   # evaluate after every pass, as bench svm does (outside the timed pass)
def run(name, passes, seed):
    clf = ShrinkingSVC(alpha=lam, max_iter=passes, tol=None, random_state=seed, **METHODS[name])
    t = time.perf_counter(); clf.fit(X, y, eval_set=(Xt, yt)) if EVAL else clf.fit(X, y); wall = time.perf_counter() - t
    return clf.history_[-1]["seconds"], wall
rat = []
for seed in (0, 1, 2):
    for order in (("uniform-avg", "shrinking-avg"), ("shrinking-avg", "uniform-avg")):
        r = {}
        for name in order:
            r[name] = run(name, pu if name == "uniform-avg" else ps, seed)
        rat.append(r["shrinking-avg"][0] / r["uniform-avg"][0])
        print(seed, order[0], {k: (round(v[0], 3), round(v[1], 3)) for k, v in r.items()}, round(rat[-1], 3), flush=True)
print("median ratio", np.median(rat))
