"""Compiled per-instance loops for the linear SVM (numba, cached on disk).

The weight vector is stored as ``w = scale * v`` so that the regulariser's shrink
``w <- (1 - eta * lambda) w`` is one multiplication, and an update costs time proportional to
the instance's nonzeros. Every kernel takes the data in CSR form (float64 values, int64
indices), so numba compiles one specialisation of each.

``state`` holds ``[scale, ||v||^2, t]``; ``counters`` holds ``[visited, updates, margins]``:
instances drawn, steps taken, and dot products ``w . x_i`` computed. The averaged iterate is
``avg_state[0] * avg + avg_state[1] * v`` (Bottou's / scikit-learn's lazy averaging): a visit
changes two scalars, and an update also subtracts the update times ``B / A`` from ``avg``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# shrinking modes
OFF = 0
PAPER = 1
STALE = 2
STALE_UNBIASED = 3
# losses
HINGE = 0
SQUARED_HINGE = 1
# projections
PROJ_NONE = 0
PROJ_BALL = 1
PROJ_SPHERE = 2


@njit(cache=True)
def margins(data, indices, indptr, y, v, scale, out):  # type: ignore[no-untyped-def]
    """Write ``y_i * (w . x_i)`` for every row into ``out``."""
    for i in range(indptr.shape[0] - 1):
        s = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            s += data[k] * v[indices[k]]
        out[i] = y[i] * scale * s


@njit(cache=True)
def _renormalise(v, state, avg, avg_state):  # type: ignore[no-untyped-def]
    """Fold ``scale`` into ``v`` (O(d)), and the averaged iterate into ``avg`` (A = 1, B = 0).

    Folding the average here, as scikit-learn's ``reset_wscale`` does, bounds the cancellation
    between ``A a`` and ``B v`` by the factor the scale fell since the previous fold.
    """
    scale = state[0]
    if avg_state[2] > 0.0:
        a, b = avg_state[0], avg_state[1]
        for j in range(v.shape[0]):
            avg[j] = a * avg[j] + b * v[j]
        avg_state[0] = 1.0
        avg_state[1] = 0.0
    for j in range(v.shape[0]):
        v[j] *= scale
    state[1] *= scale * scale
    state[0] = 1.0


@njit(cache=True)
def _average(avg, avg_state, v, state, rho):  # type: ignore[no-untyped-def]
    """Fold the current iterate ``scale * v`` into the average ``A a + B v``: O(1), rarely O(d).

    The k-th averaged iterate gets weight ``mu_k = rho / (k + rho - 1)`` against the running
    average (rho = 1: the plain mean, as scikit-learn's ``average=True``; rho = 2: weights
    proportional to k, Lacoste-Julien, Schmidt and Bach 2012).
    """
    avg_state[2] += 1.0
    k = avg_state[2]
    if k == 1.0:
        for j in range(avg.shape[0]):
            avg[j] = 0.0
        avg_state[0] = 1.0
        avg_state[1] = state[0]
        return
    mu = rho / (k + rho - 1.0)
    avg_state[0] *= 1.0 - mu
    avg_state[1] = (1.0 - mu) * avg_state[1] + mu * state[0]
    if avg_state[0] < 1e-9:
        a = avg_state[0]
        for j in range(avg.shape[0]):
            avg[j] *= a
        avg_state[0] = 1.0


@njit(cache=True)
def sgd_pass(  # type: ignore[no-untyped-def]
    data, indices, indptr, y, xnorms, order, weights, uniforms, v, state, stale, streak, counters,
    lam, t0, loss, mode, prob, prob_decay, prob_min, far_margin, threshold, pass_index, clock_updates, projection,
    radius, avg, avg_state, avg_start, avg_rho,
):
    """Run one pass of Pegasos-style SGD over the draws in ``order``.

    ``weights[k]`` multiplies the data term of draw ``k`` (importance weights, else 1).
    ``uniforms[k]`` is the draw's random number for the shrinking decision.
    ``stale[i]`` is instance i's margin at its last computed visit (-inf when never computed);
    ``streak[i]`` counts its visits since its margin was last seen below the skip level. A stale
    instance is computed with probability ``max(prob_min, prob * prob_decay ** (streak - 1))``,
    and at most ``prob_min`` when its stale margin is >= ``far_margin``.
    Averaging (``avg_start >= 0``): from visit ``avg_start`` on, the averaged iterate is
    ``avg_state[0] * avg + avg_state[1] * v`` and ``avg_state[2]`` counts the averaged visits.
    """
    skip_level = 1.0 + threshold / (pass_index + 1.0)
    averaging = avg_start >= 0
    floor = 1e-4 if averaging else 1e-9  # renormalise below this scale (averaging: to bound cancellation)
    for k in range(order.shape[0]):
        i = order[k]
        counters[0] += 1
        u = uniforms[k]
        weight = weights[k]
        if not clock_updates:
            state[2] += 1.0
        if mode == STALE or mode == STALE_UNBIASED:
            if stale[i] >= skip_level:
                streak[i] += 1
                p = prob
                if prob_decay != 1.0 and streak[i] > 1:
                    p = max(prob_min, prob * prob_decay ** (streak[i] - 1))
                if stale[i] >= far_margin:  # far above the margin: it rarely flips between visits
                    p = min(p, prob_min)
                if u >= p:
                    if mode == STALE_UNBIASED:  # keep the regulariser's step: O(1)
                        eta = 1.0 / (lam * (state[2] + t0))
                        state[0] *= 1.0 - eta * lam
                        if state[0] < floor:
                            _renormalise(v, state, avg, avg_state)
                    if averaging and counters[0] > avg_start:
                        _average(avg, avg_state, v, state, avg_rho)
                    continue
                if mode == STALE_UNBIASED:
                    weight = weight / p
        # compute the margin: O(nnz(x_i))
        dot = 0.0
        for q in range(indptr[i], indptr[i + 1]):
            dot += data[q] * v[indices[q]]
        m = y[i] * state[0] * dot
        counters[2] += 1
        stale[i] = m
        if m < skip_level:
            streak[i] = 0
        if mode == PAPER:
            violated = 1.0 if m < 1.0 else 0.0
            if not (u < prob or u < xnorms[i] * violated - threshold / (pass_index + 1.0)):
                if averaging and counters[0] > avg_start:
                    _average(avg, avg_state, v, state, avg_rho)
                continue
        if clock_updates:
            state[2] += 1.0
        counters[1] += 1
        eta = 1.0 / (lam * (state[2] + t0))
        state[0] *= 1.0 - eta * lam
        if state[0] < floor:
            dot *= state[0]
            _renormalise(v, state, avg, avg_state)
        if m < 1.0:
            g = 1.0 if loss == HINGE else 2.0 * (1.0 - m)
            a = eta * weight * g * y[i] / state[0]
            for q in range(indptr[i], indptr[i + 1]):
                v[indices[q]] += a * data[q]
            if averaging and avg_state[2] > 0.0:  # keep A a + B v unchanged: a -= (B / A) delta
                c = a * avg_state[1] / avg_state[0]
                for q in range(indptr[i], indptr[i + 1]):
                    avg[indices[q]] -= c * data[q]
            state[1] += 2.0 * a * dot + a * a * xnorms[i] * xnorms[i]
            if state[1] < 0.0:
                state[1] = 0.0
        if projection != PROJ_NONE:
            norm = state[0] * np.sqrt(state[1])
            if norm > 0.0 and (projection == PROJ_SPHERE or norm > radius):
                state[0] *= radius / norm
        if averaging and counters[0] > avg_start:
            _average(avg, avg_state, v, state, avg_rho)


@njit(cache=True)
def build_alias(probs, prob_table, alias):  # type: ignore[no-untyped-def]
    """Vose's alias table for ``probs`` (summing to 1): O(n) build, O(1) draws."""
    n = probs.shape[0]
    scaled = probs * n
    small = np.empty(n, dtype=np.int64)
    large = np.empty(n, dtype=np.int64)
    ns = 0
    nl = 0
    for i in range(n):
        alias[i] = i
        if scaled[i] < 1.0:
            small[ns] = i
            ns += 1
        else:
            large[nl] = i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        nl -= 1
        g = large[nl]
        prob_table[s] = scaled[s]
        alias[s] = g
        scaled[g] = scaled[g] + scaled[s] - 1.0
        if scaled[g] < 1.0:
            small[ns] = g
            ns += 1
        else:
            large[nl] = g
            nl += 1
    for q in range(nl):
        prob_table[large[q]] = 1.0
    for q in range(ns):
        prob_table[small[q]] = 1.0
