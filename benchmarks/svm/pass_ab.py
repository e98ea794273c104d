"""One drift-shrinking pass from the same state, timed for two importable copies of the package, alternated:
the first copy trains ``shrinking-avg`` for WARM passes (seed 0); then each copy's compiled pass (plan, pass and
drift bookkeeping: the one compiled call a fit makes) runs the next pass from that state, REPEATS times each on
copies of it, each repeat with its own seed (the same seeds for both copies).

    PYTHONPATH=src:DIR_WITH_A_RENAMED_COPY python benchmarks/svm/pass_ab.py DATA N_FEATURES WARM REPEATS PACKAGE_A PACKAGE_B

PACKAGE: ``autoassist`` or a copy of it at another commit, renamed (imports rewritten), as ``bench svm_interleave
--also-from`` takes. Prints each copy's median and minimum milliseconds and the ratio of the medians (B / A).
DATA is held out 20% as ``bench svm --test-fraction 0.2`` does. The state is trained by WARM ``partial_fit`` calls
(the state ``fit(max_iter=WARM)`` reaches, bit for bit, with the per-instance arrays and buffers that ``fit`` drops
since 15833cf) and the rows prepared by the first copy's own helpers (``_plan.py``).
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys
import time
from typing import Any

import numpy as np

from autoassist.bench.svm import METHODS, _split
from _plan import trained, training_rows  # beside this script

STATE = ("_v", "_state", "_stale", "_streak", "_counters", "_avg", "_avg_state", "_drift", "_u", "_sgrad", "_flipped",
         "_cv_state", "_drift_sum")


def one_pass(clf: Any, rows: tuple[Any, np.ndarray], kernels: Any, seed: int) -> float:
    """Seconds of the next drift pass from ``clf``'s state over ``rows`` (``training_rows``) with ``kernels``'
    loop, run on copies of the state (``clf`` is left as it was)."""
    data, y = rows
    p = clf._check_params()
    loop = kernels.pass_for(p["mode"], p["cv"], p["avg_start"], p["loss"], p["projection"], p["clock_updates"])
    s = {name: getattr(clf, name).copy() for name in STATE}
    params = kernels.params_array(
        clf._lam, p["t0"], p["loss"], p["mode"], p["prob"], p["decay"], p["prob_min"], p["far_margin"], p["threshold"],
        clf.n_iter_, p["clock_updates"], p["projection"], 1.0 / math.sqrt(clf._lam), p["avg_start"], p["avg_rho"],
        p["cv"], p["drift_scale"] ** 2, p["z_floor"], clf._drift_passes, True,
        *([p["lagged"]] if "lagged" in p else []))  # older copies have no such setting
    buf = clf._buffers
    start = time.perf_counter()
    loop(data.data, data.indices, data.indptr, y, data.xnorms, buf.draws, buf.ones, buf.uniforms[:0], s["_v"],
         s["_state"], s["_stale"], s["_streak"], s["_counters"], s["_avg"], s["_avg_state"], buf.draw_probs, buf.gaps,
         s["_drift"], s["_u"], s["_sgrad"], s["_flipped"], s["_cv_state"], params, np.uint64(seed), s["_drift_sum"],
         data.inv_xnorms, buf.keep)
    return time.perf_counter() - start


def main() -> None:
    X, y, _, _ = _split(argparse.Namespace(data=sys.argv[1], test=None, test_fraction=0.2,
                                           n_features=int(sys.argv[2])))
    warm, repeats, packages = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:7]
    n = X.shape[0]
    clf = trained(importlib.import_module(f"{packages[0]}.linear").ShrinkingSVC(
        alpha=1.0 / n, random_state=0, **METHODS["shrinking-avg"]), X, y, warm)
    rows = training_rows(clf, X, y)
    kernels = {name: importlib.import_module(f"{name}.linear._kernels") for name in packages}
    print(f"{sys.argv[1]}: n = {n}, pass {warm + 1} from {packages[0]}'s state after {warm} passes")
    times: dict[str, list[float]] = {name: [] for name in packages}
    for r in range(repeats):
        for name in (packages if r % 2 == 0 else packages[::-1]):
            times[name].append(one_pass(clf, rows, kernels[name], 1000 + r))
    for name in packages:
        t = np.array(times[name]) * 1e3
        print(f"{name}: median {np.median(t):.3f} ms, min {t.min():.3f} ms over {repeats}")
    print(f"{packages[1]} / {packages[0]}: {np.median(times[packages[1]]) / np.median(times[packages[0]]):.3f} "
          "(ratio of the medians)")


if __name__ == "__main__":
    main()
