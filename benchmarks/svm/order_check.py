"""How much of a pass is waiting on memory: the same compiled pass (from the state after 30 passes on w8a) over
its draws in their planned, random order and sorted by instance index (the gaps kept), for shrinking-avg,
uniform-avg-p15 and uniform-sg-avg; medians of 9 (each from a copy of the same state).

The state is trained by 30 ``partial_fit`` calls (the state ``fit(max_iter=30)`` reaches, bit for bit, with the
per-instance arrays and buffers that ``fit`` drops since 15833cf) and the rows prepared by the estimator's own
helpers (``_plan.py``). The timed pass takes ``stale_correction`` from the settings (``lagged``, the default since
de132cd, after ``order_check.txt`` was measured at 478a723): before, it ran the ``"unbiased"`` weights.

    PYTHONPATH=src python benchmarks/svm/order_check.py > benchmarks/svm/order_check.txt
"""
from __future__ import annotations

import argparse
import copy
import math
import time

import numpy as np

from autoassist.bench.svm import METHODS, VARIANTS, _split
from autoassist.linear import ShrinkingSVC
from autoassist.linear import _kernels as K
from _plan import next_plan, trained, training_rows
X, y, _, _ = _split(argparse.Namespace(data="../shared/data/libsvm/w8a.gz", test=None, test_fraction=0.2, n_features=300, seeds=[0]))
e = {**METHODS, **VARIANTS}
for name, passes in (("shrinking-avg", 30), ("uniform-avg-p15", 30), ("uniform-sg-avg", 30)):
    clf = trained(ShrinkingSVC(alpha=1/X.shape[0], random_state=0, **e[name]), X, y, passes)
    p = clf._check_params(); data, yy = training_rows(clf, X, y); buf = clf._buffers; n = data.n_rows
    radius = 1/math.sqrt(clf._lam)
    if p["mode"] == K.DRIFT:
        m = next_plan(clf, p, data.inv_xnorms, 7, clf._streak.copy())
        order, probs, gaps = buf.draws[:m].copy(), buf.draw_probs[:m].copy(), buf.gaps[:m+1].copy()
    else:
        m = n; order = np.random.default_rng(0).permutation(n).astype(np.int64); probs = buf.draw_probs[:0]; gaps = buf.gaps[:0]
    srt = np.argsort(order, kind="stable")
    def run(o, pr):
        c = copy.deepcopy(clf)
        args = (data.data, data.indices, data.indptr, yy, data.xnorms, o, buf.ones[:len(o)], buf.uniforms[:0], c._v, c._state,
                c._stale, c._streak, c._counters, c._lam, p["t0"], p["loss"], p["mode"], p["prob"], p["decay"], p["prob_min"], p["far_margin"],
                p["threshold"], float(c.n_iter_), p["clock_updates"], p["projection"], radius, c._avg, c._avg_state, p["avg_start"], p["avg_rho"],
                pr, gaps, c._drift, p["cv"], c._u, c._sgrad, c._flipped, c._cv_state)
        t = time.perf_counter(); K.sgd_pass(*args, lagged=p["lagged"]); return time.perf_counter() - t
    rand = [run(order, probs) for _ in range(9)]
    seq = [run(order[srt], probs[srt] if len(probs) else probs) for _ in range(9)]
    print("%s pass %d: computed %d of %d; visits in planned order %.0f us, in index order %.0f us (%.2fx)" % (name, passes, m, n, 1e6*np.median(rand), 1e6*np.median(seq), np.median(seq)/np.median(rand)))
