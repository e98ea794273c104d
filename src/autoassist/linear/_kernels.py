"""Compiled per-instance loops for the linear SVM (numba, cached on disk).

The weight vector is stored as ``w = scale * v`` so that the regulariser's shrink
``w <- (1 - eta * lambda) w`` is one multiplication, and an update costs time proportional to
the instance's nonzeros. Every kernel takes the data in CSR form (float64 values, int64
indices), so numba compiles one specialisation of each.

``state`` holds ``[scale, ||v||^2, t]``; ``counters`` holds ``[visited, updates, margins]``:
instances drawn, steps taken, and dot products ``w . x_i`` computed. The averaged iterate is
``avg_state[0] * avg + avg_state[1] * v`` (Bottou's / scikit-learn's lazy averaging): a visit
changes two scalars, and an update also subtracts the update times ``B / A`` from ``avg``.

What the per-visit loop may do, measured: keep those scalars in locals for the whole pass (written
to the arrays only around the rare calls that read them); call no compiled function per visit that
takes an array (numba reference-counts array arguments, which costs more than the visit's scalar
work: with such calls averaging added about 50% to a uniform SGD pass on w8a, now about 3%); take
no branch the data decide where a select will do; index arrays with unsigned integers (numba wraps a
negative signed index with a compare and select per access: unsigned, the margin's dot product and the
update ran about 25% faster on w8a, for every method); ask for the cache lines of the draws ahead (``_prefetch``:
an instance's state ``_AHEAD`` draws ahead, its row ``_NEAR`` draws ahead; the random order otherwise leaves
every visit waiting on its lines: a uniform pass over w8a in index order took 0.6x the time of one in random
order, and the hints took a quarter off every method's seconds there, ``benchmarks/svm/prefetch_ab.txt``).
Compile a copy of the loop for each common setting (``_sgd_pass_for``): as arguments, the shrinking mode, stale
gradients and averaging are tested at every visit; as constants their tests fold away (uniform SGD about 10%
faster on w8a, drift shrinking about 5%, ``benchmarks/svm/specialise_ab.txt``), chosen in Python (``pass_for``)
so that a fit compiles only the copy it runs (a compiled dispatcher over the copies compiled all nine on its
first call: a first fit on an empty numba cache took 35.9 s against 6.5 s, ``benchmarks/svm/first_fit_compile.txt``).
A drift pass's plan and its drift bookkeeping run inside the same compiled call (``plan`` in the loop's
``params``, which carries the scalar settings in one array). The loop and the plan compile with numpy's error model:
with numba's default (Python's) every division tests its divisor and raises ZeroDivisionError, a compare and two
branches per division on the per-visit path (a step size, an averaging weight, ``1/p``); none of the divisors can be
zero there (the same numbers; a drift pass 0.96-0.99x the time on w8a, ``benchmarks/svm/error_model_ab.txt``).
A pass's random numbers come from ``_random``.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from numba import njit
from scipy.special import erfc

from autoassist.linear import _random as R
from autoassist.linear._prefetch import prefetch

# shrinking modes
OFF = 0
PAPER = 1
STALE = 2
STALE_UNBIASED = 3
DRIFT = 4
# losses
HINGE = 0
SQUARED_HINGE = 1
# sqrt(Phi(-z)) on a grid of z in [0, 8] (drift shrinking's sqrt(P(violated)); linear interpolation
# is within 1e-5 of it; Phi(-8) = 6e-16)
_TAIL_STEP = 1.0 / 256.0
_TAIL_SCALE = 256.0  # 1 / _TAIL_STEP
_SQRT_TAIL = np.sqrt(0.5 * erfc(np.arange(8 * 256 + 2) * _TAIL_STEP / np.sqrt(2.0)))
# prefetch distances, in draws (see sgd_pass)
_AHEAD = 16
_NEAR = 8
# projections
PROJ_NONE = 0
PROJ_BALL = 1  # onto the ball of radius ``radius``, which holds the minimiser (Pegasos)
# the pass loop's scalar settings, by slot of its ``params`` array
PARAMS = ("lam", "t0", "loss", "mode", "prob", "prob_decay", "prob_min", "far_margin", "threshold", "pass_index",
          "clock_updates", "projection", "radius", "avg_start", "avg_rho", "cv", "kappa2", "z_floor", "drift_passes",
          "plan", "lagged")
(_LAM, _T0, _LOSS, _MODE, _PROB, _PROB_DECAY, _PROB_MIN, _FAR_MARGIN, _THRESHOLD, _PASS_INDEX, _CLOCK_UPDATES,
 _PROJECTION, _RADIUS, _AVG_START, _AVG_RHO, _CV, _KAPPA2, _Z_FLOOR, _DRIFT_PASSES, _PLAN, _LAGGED) = range(len(PARAMS))


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
def _renormalise_locals(v, state, avg, avg_state, sc, vv, a, b, k):  # type: ignore[no-untyped-def]
    """``_renormalise`` for ``sgd_pass``'s scalars held in locals: returns the new ``(scale, ||v||^2, A, B)``.
    Called only when the scale falls below the floor (rare), so its array arguments cost nothing per visit."""
    state[0], state[1] = sc, vv
    avg_state[0], avg_state[1], avg_state[2] = a, b, k
    _renormalise(v, state, avg, avg_state)
    return state[0], state[1], avg_state[0], avg_state[1]


@functools.cache
def _sgd_pass_for(fixed_mode: int, fixed_cv: int, fixed_average: int) -> Any:
    """``sgd_pass``'s loop compiled with the shrinking mode, stale gradients and averaging (from the first visit,
    or none) fixed, with the default loss, projection and clock; -1: the arguments say (the general loop).

    Both select code at every visit; as arguments, one compiled loop tests them at every visit (and
    LLVM does not take the tests out of a loop this size). Fixed here, they are compile-time constants
    (a closure's variables, frozen by numba), so each copy keeps only its own mode's code. Each copy
    has its own name, hence its own cache file (numba keys its disk cache by the function's name).
    """

    def loop(  # type: ignore[no-untyped-def]
        data, indices, indptr, y, xnorms, order, weights, uniforms, v, state, stale, streak, counters, avg, avg_state,
        draw_probs, gaps, drift, ubar, sgrad, flipped, cv_state, params, seed, drift_sum, inv_xnorms, keep,
    ):
        """Run one pass of Pegasos-style SGD over the draws in ``order``.

        The scalar settings come in ``params`` (float64, ``PARAMS`` names the slots; ``params_array`` fills it):
        one array instead of twenty scalars, because a call from Python pays about 0.1 us per argument, which is
        a visible part of a small set's pass. ``plan`` (``DRIFT`` only; ``drift_sgd_pass``): plan the pass first
        and keep the drift's running sum after it (the whole pass in one compiled call). ``drift_plan`` with
        ``seed``, ``kappa2``, ``z_floor``, the sums ``drift_sum[:drift_passes]``, ``inv_xnorms`` and the scratch
        ``keep`` writes the draws to compute into ``order`` (with their probabilities ``draw_probs`` and the
        ``gaps``: buffers of length n, n, n + 1; ``weights`` of length n), the loop runs over them, and this pass's
        measured drift (else the previous pass's) joins the running sum at ``drift_sum[drift_passes]`` (the
        caller makes room and counts the pass). Without ``plan`` those are not read.

        ``weights[k]`` multiplies the data term of draw ``k`` (importance weights, else 1).
        ``uniforms[k]`` is the draw's random number for the shrinking decision (read only by ``PAPER``
        and the ``STALE`` modes; may be empty otherwise).
        ``stale[i]`` is instance i's margin at its last computed visit (-inf when never computed);
        ``streak[i]`` counts its visits since its margin was last seen below the skip level. A stale
        instance is computed with probability ``max(prob_min, prob * prob_decay ** (streak - 1))``,
        and at most ``prob_min`` when its stale margin is >= ``far_margin``.
        Averaging (``avg_start >= 0``): from visit ``avg_start`` on, the averaged iterate is
        ``avg_state[0] * avg + avg_state[1] * v`` and ``avg_state[2]`` counts the averaged visits.
        ``DRIFT`` mode (an explicit active set): ``order`` holds only the draws to compute (``drift_plan``),
        draw ``k`` weighted ``1 / draw_probs[k]``; ``gaps[k]`` skipped visits come before it and
        ``gaps[len(order)]`` after the last, each applying only the regulariser's shrink (with stale
        gradients also the step along their mean, and the projection onto the ball where that step can
        leave it, ``leaves`` below) and the average, on scalars held in registers. ``streak[i]`` counts
        i's visits since its margin was last computed. An instance computed at its previous visit too, satisfied then, adds
        ``(dm / ||x_i||)**2 / p`` to ``drift[1]`` and ``1 / p`` to ``drift[2]`` (dm: its margin's change
        since that visit, where it took no data step), estimating the mean squared drift of one pass.

        Stale gradients (``cv``, with ``OFF`` or ``DRIFT``): ``sgrad[i]`` is the loss derivative factor
        of instance i at its last computed visit (hinge: 1 if violated, else 0), and
        ``u = ubar = 1/n sum_i sgrad[i] y_i x_i`` their mean, so the data term's gradient is ``-u`` while no
        instance changes side. Every visit steps along the mean (SAGA's control variate) and a computed
        one adds its own change ``(g - sgrad[i]) / p``: unbiased, and zero for the instances that stay on
        their side, so a skipped instance costs no variance whichever side it is on (``DRIFT`` then skips
        violated instances too, by their distance below 1). ``lagged`` (``params``; ``DRIFT`` with stale
        gradients): a computed instance's change enters with weight 1 instead of ``1/p``: the skipped instances'
        stale gradients stand in for their current ones, a bias that vanishes as they stop changing side (at the
        optimum every stale gradient is current, so the fixed point is the same), and no ``1/p``-weighted kicks.
        The iterate is ``w = scale v + b u`` and the
        average ``A avg + B v + C u``, with ``cv_state = [b, C, v.u, u.u, mean_w]`` (v.u and u.u recomputed at the
        pass's start; ``mean_w`` 0 in the pass that fills an empty table, else 1: with a pass in a random
        permutation, the mean of a table still being filled is not cancelled by the visits' own
        corrections, so that pass is plain SGD that records the gradients); a visit's mean step is two scalar operations; a changed ``sgrad[i]`` moves ``u``
        and, to leave w unchanged, ``v`` (one pass over x_i's nonzeros). ``flipped[i]`` says whether
        instance i changed side (took a data step) at its last computed visit: its next margin then does
        not measure drift. ``counters[3]`` counts the changes.
        """
        lam, t0, prob, prob_decay = params[_LAM], params[_T0], params[_PROB], params[_PROB_DECAY]
        prob_min, far_margin, threshold = params[_PROB_MIN], params[_FAR_MARGIN], params[_THRESHOLD]
        pass_index, radius, avg_rho = params[_PASS_INDEX], params[_RADIUS], params[_AVG_RHO]
        kappa2, z_floor = params[_KAPPA2], params[_Z_FLOOR]
        loss, mode, projection = int(params[_LOSS]), int(params[_MODE]), int(params[_PROJECTION])
        avg_start, drift_passes = int(params[_AVG_START]), int(params[_DRIFT_PASSES])
        clock_updates, cv, plan = params[_CLOCK_UPDATES] != 0.0, params[_CV] != 0.0, params[_PLAN] != 0.0
        lagged = params[_LAGGED] != 0.0
        if fixed_mode >= 0:  # constants: the tests of them below fold away
            mode, cv, avg_start = fixed_mode, fixed_cv == 1, 0 if fixed_average == 1 else -1
            loss, projection, clock_updates = HINGE, PROJ_BALL, False
        skip_level = 1.0 + threshold / (pass_index + 1.0)
        averaging = avg_start >= 0
        floor = 1e-4 if averaging else 1e-9  # renormalise below this scale (averaging: to bound cancellation)
        radius2 = radius * radius
        # the scalars live in locals (registers) during the loop, and in the arrays around calls that read them
        sc, vv, t = state[0], state[1], state[2]
        a_avg, b_avg, k_avg = avg_state[0], avg_state[1], avg_state[2]
        visited, updates, computed = counters[0], counters[1], counters[2]
        drift_sq, drift_weight = drift[1], drift[2]
        b_cv, c_cv, vu, uu = cv_state[0], cv_state[1], 0.0, 0.0
        mean_w = cv_state[4] if cv else 0.0
        if cv:  # v.u and u.u exactly, once per pass (updated incrementally within it)
            for j in range(v.shape[0]):
                vu += v[j] * ubar[j]
                uu += ubar[j] * ubar[j]
        # Skipped visits with stale gradients step w <- (1 - eta lam) w + eta mean_w u, which can leave the ball.
        # From inside it they stay inside while ||mean_w u|| <= lam radius ((1 - eta lam) r + eta lam r = r), the
        # usual case after the first passes: only otherwise (``leaves``: poorly scaled rows) does each skipped
        # visit test the exact norm, as a computed draw does. The pass starts inside (projected here, should an
        # earlier projection='none' have left w outside), and so does every run after a computed draw, which projects.
        project_cv = cv and projection != PROJ_NONE
        lam2r2 = (1.0 - 1e-6) * lam * lam * radius2  # slack against the rounding of the running u.u
        leaves = project_cv and mean_w * mean_w * uu > lam2r2
        if project_cv:
            sc, b_cv = _ball_cv(sc, b_cv, vv, vu, uu, radius, radius2)
        changes = counters[3]
        inv_n = 1.0 / y.shape[0]
        n_draws = order.shape[0]
        if mode == DRIFT and plan:
            n_draws = drift_plan(seed, stale, streak, inv_xnorms, drift_sum[:drift_passes], drift[0], kappa2, prob,
                                 prob_min, z_floor, order, draw_probs, keep, gaps, cv)
        for k in range(n_draws + 1 if mode == DRIFT else n_draws):
            if k + _AHEAD < n_draws:  # ask for the lines of the draws ahead: an instance's state, then its row
                ahead = np.uint64(order[k + _AHEAD])
                prefetch(indptr, ahead)
                prefetch(y, ahead)
                prefetch(stale, ahead)
                prefetch(streak, ahead)
                prefetch(xnorms, ahead)
                if cv:
                    prefetch(sgrad, ahead)
                    prefetch(flipped, ahead)
            if k + _NEAR < n_draws:
                row = indptr[np.uint64(order[k + _NEAR])]  # its line was asked for _AHEAD - _NEAR draws ago
                prefetch(data, row)
                prefetch(indices, row)
                prefetch(data, row + 8)
                prefetch(indices, row + 8)
            if mode == DRIFT:  # the skipped visits before draw k (k = n_draws: after the last): shrink and average
                g = gaps[k]
                while g > 0:
                    done = 0
                    if averaging and visited >= avg_start:  # the usual case: a run of averaged visits, on scalars
                        sc, t, a_avg, b_avg, k_avg, b_cv, c_cv, done = _skipped_averaged(
                            g, sc, t, a_avg, b_avg, k_avg, lam, t0, avg_rho, clock_updates, floor, cv, b_cv, c_cv,
                            mean_w, leaves, vv, vu, uu, radius, radius2)
                        visited += done
                        g -= done
                    if g > 0 and done == 0:  # one visit: before averaging starts, or where the scale crosses the floor
                        visited += 1
                        g -= 1
                        if not clock_updates:
                            t += 1.0
                        sc, eta = _shrink(sc, t, lam, t0)
                        if cv:
                            b_cv = _mean_step(b_cv, eta, lam, mean_w)
                        if sc < floor:  # rare
                            vu *= sc
                            sc, vv, a_avg, b_avg = _renormalise_locals(v, state, avg, avg_state, sc, vv, a_avg, b_avg,
                                                                       k_avg)
                        if leaves:  # the mean's step can leave the ball: project, as a computed draw does
                            sc, b_cv = _ball_cv(sc, b_cv, vv, vu, uu, radius, radius2)
                        if averaging and visited > avg_start:
                            a_avg, b_avg, c_cv, k_avg = _average_step(a_avg, b_avg, c_cv, k_avg, sc, b_cv, avg_rho)
                    if a_avg < 1e-9:
                        _fold(avg, a_avg)
                        a_avg = 1.0
                if k == n_draws:
                    break
            i = np.uint64(order[k])  # unsigned indices: numba adds no negative-index wraparound (a select per access)
            start, stop = np.uint64(indptr[i]), np.uint64(indptr[i + np.uint64(1)])
            visited += 1
            u = uniforms[k] if mode == PAPER or mode == STALE or mode == STALE_UNBIASED else 0.0
            weight = weights[k]
            p = 1.0
            inv_p = 1.0
            if not clock_updates:
                t += 1.0
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
                            sc, _ = _shrink(sc, t, lam, t0)
                            if sc < floor:
                                sc, vv, a_avg, b_avg = _renormalise_locals(v, state, avg, avg_state, sc, vv, a_avg, b_avg,
                                                                           k_avg)
                        if averaging and visited > avg_start:
                            a_avg, b_avg, c_cv, k_avg = _average_step(a_avg, b_avg, c_cv, k_avg, sc, b_cv, avg_rho)
                            if a_avg < 1e-9:
                                _fold(avg, a_avg)
                                a_avg = 1.0
                        continue
                    if mode == STALE_UNBIASED:
                        weight = weight / p
            elif mode == DRIFT:
                p = draw_probs[k]
                inv_p = 1.0 / p  # one division for the weight and the drift measurement
                weight = weight * (1.0 if cv and lagged else inv_p)
            # compute the margin: O(nnz(x_i))
            dot = 0.0
            dot_u = 0.0
            if cv:  # w = scale v + b u
                for q in range(start, stop):
                    j = np.uint64(indices[q])
                    dot += data[q] * v[j]
                    dot_u += data[q] * ubar[j]
                m = y[i] * (sc * dot + b_cv * dot_u)
            else:
                for q in range(start, stop):
                    dot += data[q] * v[np.uint64(indices[q])]
                m = y[i] * sc * dot
            computed += 1
            if mode == DRIFT:
                if cv:  # either side, unless it changed side (took a data step) at that visit
                    measures = streak[i] == 0 and flipped[i] == 0 and abs(stale[i]) < np.inf and xnorms[i] > 0.0
                else:
                    measures = streak[i] == 0 and stale[i] > 1.0 and stale[i] < np.inf and xnorms[i] > 0.0
                if measures:
                    dm = (m - stale[i]) / xnorms[i]  # computed at its previous visit too, and not stepped there
                    drift_sq += dm * dm * inv_p
                    drift_weight += inv_p
                streak[i] = 0
            elif m < skip_level:
                streak[i] = 0
            stale[i] = m
            if mode == PAPER:
                violated = 1.0 if m < 1.0 else 0.0
                if not (u < prob or u < xnorms[i] * violated - threshold / (pass_index + 1.0)):
                    if averaging and visited > avg_start:
                        a_avg, b_avg, c_cv, k_avg = _average_step(a_avg, b_avg, c_cv, k_avg, sc, b_cv, avg_rho)
                        if a_avg < 1e-9:
                            _fold(avg, a_avg)
                            a_avg = 1.0
                    continue
            if clock_updates:
                t += 1.0
            updates += 1
            sc, eta = _shrink(sc, t, lam, t0)
            if cv:
                b_cv = _mean_step(b_cv, eta, lam, mean_w)
            if sc < floor:
                dot *= sc
                vu *= sc
                sc, vv, a_avg, b_avg = _renormalise_locals(v, state, avg, avg_state, sc, vv, a_avg, b_avg, k_avg)
            if cv:  # the own step is the change of i's gradient since its stale one: zero unless it changed side
                g = (1.0 if loss == HINGE else 2.0 * (1.0 - m)) if m < 1.0 else 0.0
                dg = g - sgrad[i]
                flipped[i] = 0 if dg == 0.0 else 1
                if dg != 0.0:
                    a = eta * weight * dg * y[i] / sc  # the step, on v
                    c = dg * y[i] * inv_n  # u's change, and v's change -b c / scale that leaves w as it is
                    e = a - b_cv * c / sc
                    if averaging and k_avg > 0.0:  # keep A avg + B v + C u unchanged
                        f = (b_avg * e + c_cv * c) / a_avg
                        for q in range(start, stop):
                            j = np.uint64(indices[q])
                            v[j] += e * data[q]
                            ubar[j] += c * data[q]
                            avg[j] -= f * data[q]
                    else:
                        for q in range(start, stop):
                            j = np.uint64(indices[q])
                            v[j] += e * data[q]
                            ubar[j] += c * data[q]
                    xx = xnorms[i] * xnorms[i]
                    vu += c * dot + e * dot_u + c * e * xx
                    vv = max(0.0, vv + 2.0 * e * dot + e * e * xx)
                    uu = max(0.0, uu + 2.0 * c * dot_u + c * c * xx)
                    leaves = project_cv and mean_w * mean_w * uu > lam2r2
                    sgrad[i] = g
                    changes += 1
            elif m < 1.0:
                g = 1.0 if loss == HINGE else 2.0 * (1.0 - m)
                a = eta * weight * g * y[i] / sc
                if averaging and k_avg > 0.0:  # keep A a + B v unchanged: a -= (B / A) delta
                    c = a * b_avg / a_avg
                    for q in range(start, stop):
                        j = np.uint64(indices[q])
                        v[j] += a * data[q]
                        avg[j] -= c * data[q]
                else:
                    for q in range(start, stop):
                        v[np.uint64(indices[q])] += a * data[q]
                vv += 2.0 * a * dot + a * a * xnorms[i] * xnorms[i]
                if vv < 0.0:
                    vv = 0.0
            if cv:
                if projection != PROJ_NONE:
                    sc, b_cv = _ball_cv(sc, b_cv, vv, vu, uu, radius, radius2)
            elif projection != PROJ_NONE and sc * sc * vv > radius2 * (1.0 - 1e-9):
                norm = sc * np.sqrt(vv)  # the exact test, only near or outside the ball
                if norm > radius:
                    sc *= radius / norm
            if averaging and visited > avg_start:
                a_avg, b_avg, c_cv, k_avg = _average_step(a_avg, b_avg, c_cv, k_avg, sc, b_cv, avg_rho)
                if a_avg < 1e-9:
                    _fold(avg, a_avg)
                    a_avg = 1.0
        state[0], state[1], state[2] = sc, vv, t
        avg_state[0], avg_state[1], avg_state[2] = a_avg, b_avg, k_avg
        counters[0], counters[1], counters[2], counters[3] = visited, updates, computed, changes
        drift[1], drift[2] = drift_sq, drift_weight
        cv_state[0], cv_state[1], cv_state[2], cv_state[3] = b_cv, c_cv, vu, uu
        if mode == DRIFT and plan:  # this pass's measured drift, else the previous pass's, joins the running sum
            if drift_weight > 0.0:
                drift[0] = drift_sq / drift_weight
            drift_sum[drift_passes] = drift_sum[drift_passes - 1] + drift[0]
            drift[1] = 0.0
            drift[2] = 0.0
        # no return value: returning n_draws made the uniform pass 8% slower on the text-like set (the loop's
        # code is otherwise the same; benchmarks/svm/per_pass_overhead.txt)

    loop.__name__ = loop.__qualname__ = f"sgd_pass_mode{fixed_mode}_cv{fixed_cv}_average{fixed_average}"
    return njit(cache=True, error_model="numpy")(loop)


_PASS_ANY = _sgd_pass_for(-1, -1, -1)


@functools.cache
def pass_for(mode: int, cv: bool, avg_start: int, loss: int, projection: int, clock_updates: bool) -> Any:
    """The compiled loop for these settings: a copy compiled for them where one exists (uniform and drift
    shrinking, with or without stale gradients, averaging from the first visit or none, with the default loss,
    projection and clock; constants fold away the other modes' code: ``benchmarks/svm/specialise_ab.txt``),
    else the general one. Chosen here, in Python, so that a fit compiles only the copy it runs (numba compiles
    a function on its first call, and a compiled dispatcher would compile every copy it may call)."""
    if loss != HINGE or projection != PROJ_BALL or clock_updates or avg_start > 0 or mode not in (OFF, DRIFT):
        return _PASS_ANY
    return _sgd_pass_for(mode, int(cv), int(avg_start == 0))


def params_array(  # type: ignore[no-untyped-def]
    lam, t0, loss, mode, prob, prob_decay, prob_min, far_margin, threshold, pass_index, clock_updates, projection,
    radius, avg_start, avg_rho, cv, kappa2=0.0, z_floor=0.0, drift_passes=0, plan=False, lagged=False,
) -> np.ndarray:
    """The pass loop's ``params``: the settings in the slots ``PARAMS`` names (flags and integers as floats)."""
    return np.array([lam, t0, loss, mode, prob, prob_decay, prob_min, far_margin, threshold, pass_index,
                     clock_updates, projection, radius, avg_start, avg_rho, cv, kappa2, z_floor, drift_passes, plan,
                     lagged], dtype=np.float64)


def sgd_pass(  # type: ignore[no-untyped-def]
    data, indices, indptr, y, xnorms, order, weights, uniforms, v, state, stale, streak, counters,
    lam, t0, loss, mode, prob, prob_decay, prob_min, far_margin, threshold, pass_index, clock_updates, projection,
    radius, avg, avg_state, avg_start, avg_rho, draw_probs, gaps, drift, cv, ubar, sgrad, flipped, cv_state,
    loop=None, seed=None, kappa2=0.0, z_floor=0.0, drift_sum=None, drift_passes=0, inv_xnorms=None, keep=None,
    lagged=False,
) -> None:
    """Run one pass of Pegasos-style SGD over the draws in ``order`` with the loop ``pass_for`` picks (or
    ``loop``); ``_sgd_pass_for``'s docstring says what every argument means. A ``DRIFT`` pass is planned by the
    caller, or, given the plan's arguments ``seed`` ... ``keep`` (``drift_sgd_pass``), by the loop itself."""
    if loop is None:
        loop = pass_for(mode, bool(cv), avg_start, loss, projection, bool(clock_updates))
    plan = keep is not None
    params = params_array(lam, t0, loss, mode, prob, prob_decay, prob_min, far_margin, threshold, pass_index,
                          clock_updates, projection, radius, avg_start, avg_rho, cv, kappa2, z_floor, drift_passes, plan,
                          lagged)
    if not plan:  # placeholders of the plan's types, not read
        seed, drift_sum, inv_xnorms, keep = np.uint64(0), np.zeros(1), xnorms, np.empty(0, dtype=np.bool_)
    loop(data, indices, indptr, y, xnorms, order, weights, uniforms, v, state, stale, streak, counters, avg, avg_state,
         draw_probs, gaps, drift, ubar, sgrad, flipped, cv_state, params, seed, drift_sum, inv_xnorms, keep)


@njit(cache=True, inline="always")
def _shrink(sc, t, lam, t0):  # type: ignore[no-untyped-def]
    """The regulariser's step at clock ``t``: returns the scale times ``1 - eta lambda`` and Pegasos'
    step size ``eta = 1 / (lambda (t + t0))``. Scalars only, inlined."""
    eta = 1.0 / (lam * (t + t0))
    return sc * (1.0 - eta * lam), eta


@njit(cache=True, inline="always")
def _mean_step(b, eta, lam, mean_w):  # type: ignore[no-untyped-def]
    """Stale gradients' step along their mean ``u`` (``w = scale v + b u``): the regulariser's shrink
    of ``b`` and ``+ eta mean_w`` (``mean_w`` 0 while the table is being filled). Scalars only, inlined."""
    return b * (1.0 - eta * lam) + eta * mean_w


@njit(cache=True, inline="always")
def _average_step(a, b, c, k, sc, b_cv, rho):  # type: ignore[no-untyped-def]
    """Fold the current iterate ``sc * v + b_cv * u`` into the average ``a avg + b v + c u``; returns
    ``(a, b, c, k)`` (without stale gradients ``b_cv = c = 0`` stay 0).

    O(1) on the scalars ``(A, B, averaged visits)``, which ``sgd_pass`` keeps in locals. The k-th
    averaged iterate gets weight ``mu_k = rho / (k + rho - 1)`` against the running average, so the k-th
    iterate ends up weighted about ``k ** (rho - 1)`` (rho = 1: the plain mean, as scikit-learn's
    ``average=True``; rho = 2: weights proportional to k, Lacoste-Julien, Schmidt and Bach 2012; the
    estimator's default power 7 is rho = 8: polynomial-decay averaging, Shamir and Zhang 2013). The
    first has ``mu = 1``, which leaves ``a = 0``: the caller folds ``a`` into ``avg`` whenever it falls
    below 1e-9 (``_fold``), which then also starts the average at ``sc * v``. Scalars only: an inlined
    helper that takes an array costs a reference count per call (measured: 3x the time of the skipped
    visits' loop).
    """
    k += 1.0
    mu = rho / (k + rho - 1.0)
    return a * (1.0 - mu), (1.0 - mu) * b + mu * sc, (1.0 - mu) * c + mu * b_cv, k


@njit(cache=True, inline="always")
def _ball_cv(sc, b, vv, vu, uu, radius, radius2):  # type: ignore[no-untyped-def]
    """Project ``w = sc v + b u`` onto the ball of radius ``radius`` (``radius2`` its square): returns the new
    ``(sc, b)``, both scaled by ``radius / ||w||`` when w lies outside. ``||w||^2 = sc^2 v.v + 2 sc b v.u + b^2 u.u``
    from the running ``vv``, ``vu``, ``uu`` (exact at the pass's start); the square root only near or outside the
    ball. Scalars only, inlined."""
    ww = sc * sc * vv + 2.0 * sc * b * vu + b * b * uu
    if ww > radius2 * (1.0 - 1e-9):
        norm = np.sqrt(max(0.0, ww))
        if norm > radius:
            sc *= radius / norm
            b *= radius / norm
    return sc, b


@njit(cache=True, inline="always")
def _skipped_averaged(  # type: ignore[no-untyped-def]
    g, sc, t, a, b, k, lam, t0, rho, clock_updates, floor, cv, b_cv, c, mean_w, project, vv, vu, uu, radius, radius2,
):
    """Up to ``g`` skipped visits, all averaged: the regulariser's shrink (and with stale gradients
    ``cv`` the step along their mean, then with ``project`` the projection onto the ball, ``_ball_cv``)
    and the average's step, on the scalars (scale, clock, A, B, averaged visits, b, C); returns them and
    the visits done. Stops before a visit whose shrink would take the scale below ``floor``, and after one
    that takes A below 1e-9, for the caller to renormalise or fold (arrays) exactly where the per-visit
    loop did: the same numbers."""
    for j in range(g):
        tt = t if clock_updates else t + 1.0
        shrunk, eta = _shrink(sc, tt, lam, t0)
        if shrunk < floor:
            return sc, t, a, b, k, b_cv, c, j
        t, sc = tt, shrunk
        if cv:
            b_cv = _mean_step(b_cv, eta, lam, mean_w)
            if project:
                sc, b_cv = _ball_cv(sc, b_cv, vv, vu, uu, radius, radius2)
        a, b, c, k = _average_step(a, b, c, k, sc, b_cv, rho)
        if a < 1e-9:
            return sc, t, a, b, k, b_cv, c, j + 1
    return sc, t, a, b, k, b_cv, c, g


@njit(cache=True)
def _fold(avg, a):  # type: ignore[no-untyped-def]
    """``avg *= a`` (the caller then sets A = 1): O(d), rare."""
    for j in range(avg.shape[0]):
        avg[j] *= a


@njit(cache=True, inline="always")
def drift_probability(m, inv_xnorm, inv_sd, scale, floor, z_floor, two_sided=False):  # type: ignore[no-untyped-def]
    """The probability of computing an instance's margin under ``DRIFT`` shrinking.

    Model: since its margin ``m`` was last computed, the instance's margin has moved by a Gaussian
    of standard deviation ``||x_i|| / inv_sd`` (see ``drift_plan``), so it is violated now with
    probability ``q = Phi(-z)``, ``z = (m - 1) inv_sd / ||x_i||``. Computing it with probability
    ``p = scale sqrt(q)``, clipped to ``[floor, 1]``, and weighting its step ``1/p`` minimises the
    added variance ``sum q (1/p - 1)`` for a given expected number of margins computed.
    ``z >= z_floor`` (or 8) means ``p = floor``; below, sqrt(q) is read from a table. An instance
    never computed, with a stale margin <= 1, without a drift estimate (``inv_sd <= 0``) or with an
    empty row (``inv_xnorm``, 1 / ||x_i||, is 0) gets p = 1.
    ``two_sided`` (stale gradients, where a violated instance's gradient is known too): the chance
    that it is on the other side of 1 now, ``z = |m - 1| inv_sd / ||x_i||``, for either side.
    Written with selects rather than branches and multiplications rather than divisions: the planning
    sweep runs it once per instance, and which case applies is close to a coin flip. So z is computed
    and clamped for every instance, the sure ones included, and it is inlined into the sweep.
    """
    c = inv_sd * inv_xnorm * _TAIL_SCALE
    x = (abs(m - 1.0) if two_sided else m - 1.0) * c  # z in table steps (times a power of two: exact)
    sure = (not (c > 0.0)) | ((not two_sided) & (not (m > 1.0))) | (not (abs(m) < np.inf))  # m NaN or infinite
    x_cap = min(z_floor, 8.0) * _TAIL_SCALE
    xc = min(max(0.0, x), x_cap)  # in [0, x_cap] whatever x is (NaN included): the table read stays in bounds
    j = np.uint64(xc)  # unsigned: numba adds no negative-index wraparound (13% of the sweep on w8a)
    tail = _SQRT_TAIL[j] + (xc - np.float64(j)) * (_SQRT_TAIL[j + np.uint64(1)] - _SQRT_TAIL[j])
    p = min(1.0, max(floor, scale * tail))
    p = p if x < x_cap else floor
    return 1.0 if sure else p


@njit(cache=True, error_model="numpy")
def drift_plan(  # type: ignore[no-untyped-def]
    seed, stale, streak, inv_xnorms, drift_sum, drift2, kappa2, scale, floor, z_floor, draws, probs, keep, gaps,
    two_sided=False,
):
    """Plan a ``DRIFT`` pass: which instances to compute, in which order, and how many skipped visits
    come before each. Every instance is drawn once per pass, so its decision depends only on the
    pass's start: instance i is computed iff ``u_i < drift_probability(...)`` (``u_i``: the i-th
    number of ``seed``'s stream), else its ``streak`` grows by one. Writes the m computed draws in
    pass order to ``draws`` (their probabilities to ``probs``) and the skipped visits before each to
    ``gaps`` (``gaps[m]``: after the last); returns m. Reads the instance arrays in index order;
    ``keep`` (bool, length n) is scratch.

    The decisions take three sweeps, so that the one that does the work has only loads and stores at
    ``i``, which LLVM vectorises: the first reads each instance's ``1 / sd`` from the per-streak
    table into ``probs`` (a load through a computed index: with it, as with any store beside it, the
    loop stays scalar, since LLVM cannot rule out that the store overwrites the table); the second
    computes the probabilities and decisions, with ``u_i`` drawn counter-based (SplitMix64's i-th
    number is a function of ``seed + (i + 1) gamma``: the same numbers as the sequential stream);
    the third packs the computed ones. The same decisions as one scalar sweep, bit for bit, and 5-11%
    off shrinking's seconds on w8a (``benchmarks/svm/plan_ab.txt``).

    The pass: the computed instances in a uniformly random order (Fisher-Yates on m), with the n - m
    skipped visits spread evenly among them (the m + 1 runs of skipped visits differ in length by at most
    one, Bresenham's rule). A skipped visit's work (the shrink and the average) does not depend on which
    instance it is, and where the skipped visits sit only decides which step size each computed step gets,
    not which instance takes it: every instance still has the same chance to come at each computed draw,
    so the pass's data term stays unbiased. Until 2026-11-28 the positions were a uniformly random m-subset
    of the n visits (as permuting all n and dropping the skipped ones gives): that cost a serial loop of n
    random draws here, and in the pass loop a mispredicted branch per computed draw (the end of a run of
    random length); spread evenly, a steady-state w8a drift pass took 0.88x the time, and the passes to stay
    below 1e-2 over 27 seeds did not change (``benchmarks/svm/even_gaps.txt``).

    The drift of an instance last computed ``streak[i] + 1`` passes ago has variance
    ``kappa2 D`` per unit ``||x_i||^2``, ``D`` the mean squared margin drifts of those passes summed
    (``drift_sum[j]``: passes 0..j-1; the current pass, ``len(drift_sum) - 1``, counts as ``drift2``,
    the last one measured; ``drift2 <= 0``: none measured yet, every instance is computed).
    Branch-free where the data decide (a mispredicted branch costs more than the work).
    ``two_sided``: violated instances are skipped too, by their distance below 1 (stale gradients).
    """
    n = stale.shape[0]
    last = drift_sum.shape[0] - 1
    inv_sd = np.full(last + 1, -1.0)  # 1 / the drift's standard deviation per unit ||x||, by streak (-1: not yet)
    for i in range(n):  # each instance's 1 / sd, into probs
        s = min(streak[i], last)
        if inv_sd[s] < 0.0:  # only the streaks present: a long run has many passes, a small set few instances
            inv_sd[s] = 1.0 / math.sqrt(kappa2 * (drift_sum[last] - drift_sum[last - s] + drift2)) if drift2 > 0.0 else 0.0
        probs[i] = inv_sd[s]
    start = np.uint64(seed)
    for i in range(n):  # the decisions, in index order: vectorised
        p = drift_probability(stale[i], inv_xnorms[i], probs[i], scale, floor, z_floor, two_sided)
        kept = R.double_at(start, i) < p
        probs[i] = p
        keep[i] = kept
        streak[i] += 0 if kept else 1
    m = 0
    for i in range(n):  # the computed ones, packed in place; written always, kept by advancing m
        at = np.uint64(m)  # unsigned indices: no wraparound selects
        draws[at] = i
        probs[at] = probs[i]
        m += 1 if keep[i] else 0
    state = R.skip(start, n)  # the stream after the decisions' n numbers
    for a in range(m - 1, 0, -1):  # their order: Fisher-Yates
        state, b = R.next_below(state, a + 1)
        bu, au = np.uint64(b), np.uint64(a)
        i, p = draws[bu], probs[bu]
        draws[bu], probs[bu] = draws[au], probs[au]
        draws[au], probs[au] = i, p
    runs = m + 1  # the n - m skipped visits spread evenly over the m + 1 runs: q or q + 1 each (Bresenham)
    q = (n - m) // runs
    extra = (n - m) - q * runs
    e = 0
    for g in range(runs):
        e += extra
        longer = e >= runs
        e -= runs if longer else 0
        gaps[np.uint64(g)] = q + (1 if longer else 0)
    return m


def drift_sgd_pass(  # type: ignore[no-untyped-def]
    seed, kappa2, z_floor, drift_sum, drift_passes, inv_xnorms, keep,
    data, indices, indptr, y, xnorms, draws, weights, uniforms, v, state, stale, streak, counters,
    lam, t0, loss, mode, prob, prob_decay, prob_min, far_margin, threshold, pass_index, clock_updates, projection,
    radius, avg, avg_state, avg_start, avg_rho, probs, gaps, drift, cv, ubar, sgrad, flipped, cv_state, lagged=False,
) -> int:
    """A whole ``DRIFT`` pass in one compiled call: ``drift_plan`` into the buffers ``draws``, ``probs``,
    ``gaps``, the pass over the m planned draws, then the drift's running sum (the loop with ``plan`` set in
    ``params``; its docstring in ``_sgd_pass_for`` says what every argument means). Returns m."""
    if mode != DRIFT:
        raise ValueError(f"drift_sgd_pass plans a DRIFT pass (mode {DRIFT}), got mode {mode}")
    computed = counters[2]
    sgd_pass(data, indices, indptr, y, xnorms, draws, weights, uniforms, v, state, stale, streak, counters, lam, t0,
             loss, mode, prob, prob_decay, prob_min, far_margin, threshold, pass_index, clock_updates, projection,
             radius, avg, avg_state, avg_start, avg_rho, probs, gaps, drift, cv, ubar, sgrad, flipped, cv_state,
             seed=seed, kappa2=kappa2, z_floor=z_floor, drift_sum=drift_sum, drift_passes=drift_passes,
             inv_xnorms=inv_xnorms, keep=keep, lagged=lagged)
    return int(counters[2] - computed)  # every planned draw is computed


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
