"""What the profiling scripts beside it (``pass_profile.py``, ``order_check.py``, ``prob_profile.py``,
``pass_ab.py``) take from a trained ``ShrinkingSVC``'s private state: the state after some passes with the
per-instance arrays a pass reads, the training rows as the passes read them, and drift shrinking's plan for the
next pass.

``fit`` drops the per-instance state (stale margins, counters, stale gradients) and the pass's scratch buffers
when it returns, and no estimator keeps a copy of the training rows (since 15833cf): so the state is trained with
``partial_fit`` calls, which keep both, and the rows are prepared again with the estimator's own helpers.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from autoassist.linear import _kernels as K


def trained(clf: Any, X: Any, y: Any, passes: int) -> Any:
    """``clf`` (unfitted, with ``alpha`` set) after ``passes`` ``partial_fit`` calls on (X, y): bit for bit the
    state ``fit`` with ``max_iter=passes`` reaches (``tests/linear/test_svm_estimator.py``), plus the per-instance
    state and scratch buffers that ``fit`` drops."""
    clf.partial_fit(X, y, classes=np.unique(y))
    for _ in range(passes - 1):
        clf.partial_fit(X, y)
    return clf


def training_rows(clf: Any, X: Any, y: Any) -> tuple[Any, np.ndarray]:
    """(X, y) as ``clf``'s passes read them: the CSR rows with the intercept column (``Prepared``) and the labels
    as +1/-1, made by the estimator's own ``_check_Xy`` and ``_data.binary_targets`` (what ``fit`` kept as
    ``_rows`` before 15833cf). ``clf``'s own package's ``_data``, so that a renamed copy (``pass_ab.py``) uses
    its own."""
    data, labels = clf._check_Xy(X, y, reset=False)
    _data = importlib.import_module(type(clf).__module__.rsplit(".", 1)[0] + "._data")
    return data, _data.binary_targets(labels, clf.classes_, "")


def next_plan(clf: Any, p: dict[str, Any], inv_xnorms: np.ndarray, seed: int, streak: np.ndarray) -> int:
    """``drift_plan`` with ``clf``'s stale margins, drift sums and settings ``p`` (``clf._check_params()``), into
    ``clf._buffers`` (draws, their probabilities, gaps); ``streak`` (a copy of ``clf._streak``) is updated by the
    plan. ``clf`` trained by ``partial_fit`` (``trained``): ``fit`` drops ``_stale``, ``_streak`` and
    ``_buffers``. Returns the number of draws to compute."""
    buf = clf._buffers
    return int(K.drift_plan(seed, clf._stale, streak, inv_xnorms, clf._drift_sum[:clf._drift_passes], clf._drift[0],
                            p["drift_scale"] ** 2, p["prob"], p["prob_min"], p["z_floor"], buf.draws, buf.draw_probs,
                            buf.keep, buf.gaps, p["cv"]))
