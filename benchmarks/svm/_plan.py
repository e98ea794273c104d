"""Drift shrinking's plan for the next pass, from a fitted ``ShrinkingSVC``'s state: shared by the profiling
scripts beside it (``pass_profile.py``, ``order_check.py``, ``prob_profile.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from autoassist.linear import _kernels as K


def next_plan(clf: Any, p: dict[str, Any], inv_xnorms: np.ndarray, seed: int, streak: np.ndarray) -> int:
    """``drift_plan`` with ``clf``'s stale margins, drift sums and settings ``p`` (``clf._check_params()``), into
    ``clf._buffers`` (draws, their probabilities, gaps); ``streak`` (a copy of ``clf._streak``) is updated by the
    plan. Returns the number of draws to compute."""
    buf = clf._buffers
    return int(K.drift_plan(seed, clf._stale, streak, inv_xnorms, clf._drift_sum[:clf._drift_passes], clf._drift[0],
                            p["drift_scale"] ** 2, p["prob"], p["prob_min"], p["z_floor"], buf.draws, buf.draw_probs,
                            buf.keep, buf.gaps, p["cv"]))
