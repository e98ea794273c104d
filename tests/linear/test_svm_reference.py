"""The solver against slow reference code: objective, one step, Pegasos step by step, unbiasedness."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import erfc, gammaln

from autoassist.linear import ShrinkingSVC, primal_objective
from autoassist.linear import _kernels as K
from autoassist.linear._random import permutation, uniforms as _uniforms
from autoassist.linear._sampling import AliasTable, importance_probabilities


def _problem(n: int = 40, d: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.where(X @ rng.normal(size=d) + 0.5 * rng.normal(size=n) > 0, 1.0, -1.0)
    return X, y


_NO_CV = (False, np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.uint8), np.zeros(5))  # no stale gradients
_NO_AVERAGE = (np.zeros(0), np.array([1.0, 0.0, 0.0]), -1, 1.0, np.ones(0), np.zeros(0, dtype=np.int64), np.zeros(3),
               *_NO_CV)  # and no drift mode


def _no_extras(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``streak`` and ``counters`` for a direct kernel call."""
    return np.zeros(n, dtype=np.int64), np.zeros(4, dtype=np.int64)


def _csr(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    A = sp.csr_matrix(X)
    return A.data.astype(np.float64), A.indices.astype(np.int64), A.indptr.astype(np.int64)


@pytest.mark.parametrize("loss", [K.HINGE, K.SQUARED_HINGE])
def test_objective_matches_numpy(loss: int) -> None:
    X, y = _problem()
    w = np.random.default_rng(1).normal(size=X.shape[1])
    m = np.empty(len(y))
    K.margins(*_csr(X), y, w / 2.0, 2.0, m)
    np.testing.assert_allclose(m, y * (X @ w))
    slack = np.maximum(0, 1 - y * (X @ w))
    expected = 0.05 * w @ w + (slack.mean() if loss == K.HINGE else (slack**2).mean())
    assert primal_objective(w, m, 0.1, loss) == pytest.approx(expected)


@pytest.mark.parametrize("loss", [K.HINGE, K.SQUARED_HINGE])
@pytest.mark.parametrize("weight", [1.0, 2.5])
def test_one_step_is_a_subgradient_step(loss: int, weight: float) -> None:
    X, y = _problem()
    w0 = np.random.default_rng(2).normal(size=X.shape[1]) * 0.3
    lam, t0 = 0.1, 3.0
    for i in range(len(y)):
        v, state = w0.copy(), np.array([1.0, float(w0 @ w0), 0.0])
        K.sgd_pass(*_csr(X), y, np.linalg.norm(X, axis=1), np.array([i]), np.array([weight]), np.array([0.5]),
                   v, state, np.full(len(y), -np.inf), *_no_extras(len(y)), lam, t0, loss, K.OFF,
                   0.3, 1.0, 0.05, np.inf, 0.0, 0.0, False, K.PROJ_NONE, 1.0, *_NO_AVERAGE)
        eta = 1 / (lam * (1 + t0))
        slack = max(0.0, 1 - y[i] * X[i] @ w0)
        grad_loss = -(1.0 if slack > 0 else 0.0) * y[i] * X[i] if loss == K.HINGE else -2 * slack * y[i] * X[i]
        expected = w0 - eta * (lam * w0 + weight * grad_loss)
        np.testing.assert_allclose(state[0] * v, expected, atol=1e-12)
        assert state[1] == pytest.approx(v @ v)


def _pegasos_reference(X: np.ndarray, y: np.ndarray, lam: float, passes: int, seed: int) -> list[np.ndarray]:
    """Slow textbook Pegasos with intercept as a regularised constant feature, projection to the ball."""
    Xa = np.hstack([X, np.ones((len(y), 1))])
    rng = np.random.default_rng(seed)
    w, t, out = np.zeros(Xa.shape[1]), 0, []
    for _ in range(passes):
        seeds = rng.integers(0, 2**64, size=2, dtype=np.uint64)  # the solver's per-pass seeds (the second: shrinking's)
        order = np.empty(len(y), dtype=np.int64)
        permutation(seeds[0], order)
        for i in order:
            t += 1
            eta = 1.0 / (lam * (t + 1.0))
            violated = y[i] * (Xa[i] @ w) < 1
            w = (1 - eta * lam) * w + (eta * y[i] * Xa[i] if violated else 0.0)
            w = w * min(1.0, (1 / np.sqrt(lam)) / max(np.linalg.norm(w), 1e-300))
        out.append(w.copy())
    return out


def test_matches_pure_python_pegasos_step_by_step() -> None:
    X, y = _problem(n=12, d=3)
    reference = _pegasos_reference(X, y, lam=0.05, passes=4, seed=7)
    clf = ShrinkingSVC(alpha=0.05, shrinking="off", random_state=7)
    for w in reference:
        clf.partial_fit(X, y)
        np.testing.assert_allclose(np.r_[clf.coef_[0], clf.intercept_], w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("by", ["loss", "gradnorm"])
def test_importance_weights_are_unbiased(by: str) -> None:
    X, y = _problem(n=30)
    w = np.random.default_rng(3).normal(size=X.shape[1])
    m = y * (X @ w)
    probs = importance_probabilities(m, np.linalg.norm(X, axis=1), by=by, loss=K.HINGE, mix=0.1)
    grads = -(m < 1).astype(float)[:, None] * y[:, None] * X
    draws = AliasTable(probs).draw(np.random.default_rng(0), 200_000)
    np.testing.assert_allclose(np.bincount(draws, minlength=30) / 200_000, probs, atol=4e-3)
    estimate = (grads[draws] / (30 * probs[draws])[:, None]).mean(axis=0)
    np.testing.assert_allclose(estimate, grads.mean(axis=0), atol=0.03)


def test_stale_unbiased_shrinking_step_is_unbiased() -> None:
    """Skipping by stale margin, with the shrink kept and a 1/p weight, gives plain SGD's step on average."""
    X, y = _problem(n=10)
    w0 = np.random.default_rng(4).normal(size=X.shape[1])
    stale = np.full(10, 5.0)  # every instance looks satisfied, though several are violated now
    args = (*_csr(X), y, np.linalg.norm(X, axis=1))
    lam, t0, i = 0.1, 3.0, int(np.argmin(y * (X @ w0)))
    plain, state = w0.copy(), np.array([1.0, w0 @ w0, 0.0])
    K.sgd_pass(*args, np.array([i]), np.ones(1), np.array([0.0]), plain, state, stale.copy(),
               *_no_extras(10), lam, t0, K.HINGE, K.OFF, 0.3, 1.0, 0.05, np.inf, 0.0, 0.0, False, K.PROJ_NONE, 1.0, *_NO_AVERAGE)
    plain *= state[0]
    total = np.zeros_like(w0)
    uniforms = np.random.default_rng(5).random(4000)
    for u in uniforms:
        v, s = w0.copy(), np.array([1.0, w0 @ w0, 0.0])
        K.sgd_pass(*args, np.array([i]), np.ones(1), np.array([u]), v, s, stale.copy(),
                   *_no_extras(10), lam, t0, K.HINGE, K.STALE_UNBIASED, 0.3, 1.0, 0.05, np.inf, 0.0, 0.0, False,
                   K.PROJ_NONE, 1.0, *_NO_AVERAGE)
        total += s[0] * v
    np.testing.assert_allclose(total / len(uniforms), plain, atol=0.05 * np.abs(plain).max())


@pytest.mark.parametrize("mode", [K.OFF, K.PAPER, K.STALE_UNBIASED])
@pytest.mark.parametrize("rho", [1.0, 2.0, 8.0])
@pytest.mark.parametrize("start", [0, 30])
def test_lazy_average_equals_the_explicit_average_of_the_iterates(mode: int, rho: float, start: int) -> None:
    """The O(1) averaged iterate ``A a + B v`` equals averaging every visit's ``scale * v`` by hand,
    through renormalisations of v (the scale starts near the 1e-9 floor) and projections."""
    X, y = _problem(n=40)
    rng = np.random.default_rng(6)
    order, uniforms = rng.integers(0, 40, size=200).astype(np.int64), rng.random(200)
    lam, t0 = 0.1, 1.0
    args = (*_csr(X), y, np.linalg.norm(X, axis=1))
    w0 = rng.normal(size=X.shape[1])

    def fresh() -> tuple[np.ndarray, ...]:
        scale = 3e-9
        return (w0 / scale, np.array([scale, float(w0 @ w0) / scale**2, 0.0]), np.full(40, -np.inf),
                np.zeros(40, dtype=np.int64), np.zeros(4, dtype=np.int64))

    v, state, stale, streak, counters = fresh()
    avg, avg_state = np.zeros(X.shape[1]), np.array([1.0, 0.0, 0.0])
    K.sgd_pass(*args, order, np.ones(200), uniforms, v, state, stale, streak, counters, lam, t0, K.HINGE, mode,
               0.3, 1.0, 0.05, np.inf, 0.0, 0.0, False, K.PROJ_BALL, 1.0 / np.sqrt(lam), avg, avg_state, start, rho,
               np.ones(0), np.zeros(0, dtype=np.int64), np.zeros(3), *_NO_CV)
    averaged, last = avg_state[0] * avg + avg_state[1] * v, state[0] * v

    v, state, stale, streak, counters = fresh()
    explicit, weight_sum = np.zeros(X.shape[1]), 0.0
    for k in range(200):
        K.sgd_pass(*args, order[k:k + 1], np.ones(1), uniforms[k:k + 1], v, state, stale, streak, counters, lam, t0,
                   K.HINGE, mode, 0.3, 1.0, 0.05, np.inf, 0.0, 0.0, False, K.PROJ_BALL, 1.0 / np.sqrt(lam), *_NO_AVERAGE)
        if k >= start:
            j = k - start + 1  # weight Gamma(j + rho - 1) / Gamma(j): 1 (rho = 1), j (rho = 2), ~j**(rho - 1)
            weight = float(np.exp(gammaln(j + rho - 1.0) - gammaln(j)))
            explicit += weight * state[0] * v
            weight_sum += weight
    np.testing.assert_allclose(last, state[0] * v, rtol=1e-9, atol=1e-12)  # averaging leaves the trajectory alone
    np.testing.assert_allclose(averaged, explicit / weight_sum, rtol=1e-9, atol=1e-12)
    assert avg_state[2] == 200 - start


def test_drift_probability_is_scale_sqrt_of_the_gaussian_flip_rate() -> None:
    rng = np.random.default_rng(7)
    for m, xnorm, inv_sd in zip(1.0 + rng.exponential(2.0, 300), rng.uniform(0.5, 4.0, 300), rng.uniform(0.1, 3.0, 300)):
        q = 0.5 * erfc((m - 1.0) * inv_sd / xnorm / np.sqrt(2.0))
        expected = min(1.0, max(0.05, 1.3 * np.sqrt(q)))
        assert K.drift_probability(m, 1.0 / xnorm, inv_sd, 1.3, 0.05, np.inf) == pytest.approx(expected, abs=1e-6)
    assert K.drift_probability(0.9, 1.0, 1.0, 1.0, 0.05, np.inf) == 1.0  # violated at its last visit
    assert K.drift_probability(-np.inf, 1.0, 1.0, 1.0, 0.05, np.inf) == 1.0  # never computed
    assert K.drift_probability(3.0, 1.0, 0.0, 1.0, 0.05, np.inf) == 1.0  # no drift measured yet
    assert K.drift_probability(3.0, 1.0, 1.0, 1.0, 0.05, 1.5) == 0.05  # z = 2 >= z_floor
    assert K.drift_probability(3.0, 0.0, 1.0, 1.0, 0.05, 1.5) == 1.0  # an empty row (inverse norm 0)
    assert K.drift_probability(np.inf, 1.0, 1.0, 1.0, 0.05, np.inf) == 1.0
    assert K.drift_probability(1e6, 1.0, 1.0, 1.0, 0.0, np.inf) == 0.0  # z beyond the table's 8: the floor


def test_drift_plan_decides_each_instance_by_its_probability() -> None:
    n = 50
    rng = np.random.default_rng(8)
    stale = np.r_[np.full(5, -np.inf), rng.uniform(0.0, 4.0, n - 5)]
    streak, xnorms = rng.integers(0, 3, n).astype(np.int64), rng.uniform(0.5, 2.0, n)
    drift_sum = np.array([0.0, 0.3, 0.5, 0.6])  # three passes measured; this is pass 3
    draws, probs, gaps = np.empty(n, dtype=np.int64), np.empty(n), np.empty(n + 1, dtype=np.int64)
    before = streak.copy()
    m = K.drift_plan(np.uint64(11), stale, streak, 1.0 / xnorms, drift_sum, 0.1, 4.0, 1.0, 0.05, np.inf, draws, probs,
                     np.empty(n, dtype=np.bool_), gaps)
    p = np.array([K.drift_probability(stale[i], 1.0 / xnorms[i],
                                      1.0 / np.sqrt(4.0 * (0.6 - drift_sum[3 - min(before[i], 3)] + 0.1)), 1.0, 0.05, np.inf)
                  for i in range(n)])
    uniforms = np.empty(n)  # the seed's stream starts with one number per instance, in index order
    _uniforms(np.uint64(11), uniforms)
    chosen = uniforms < p
    assert 0 < chosen.sum() < n and chosen[:5].all()
    np.testing.assert_array_equal(np.sort(draws[:m]), np.flatnonzero(chosen))
    np.testing.assert_allclose(probs[:m], p[draws[:m]])
    assert (gaps[:m + 1] >= 0).all() and m + gaps[:m + 1].sum() == n
    np.testing.assert_array_equal(streak, before + ~chosen)


def test_drift_plan_orders_the_computed_uniformly_and_spreads_the_skipped_evenly() -> None:
    """Three instances always computed, three almost never: given all three skipped, the computed ones come
    in each of their 6 orders equally often, and the three skipped visits are spread over the four runs
    around them as evenly as they go (lengths differing by at most one), whatever the seed."""
    stale, xnorms, drift_sum = np.array([-np.inf, 0.5, -np.inf, 50.0, 50.0, 50.0]), np.ones(6), np.array([0.0])
    draws, probs, gaps = np.empty(6, dtype=np.int64), np.empty(6), np.empty(7, dtype=np.int64)
    counts: dict[tuple[int, ...], int] = {}
    for seed in range(6_000):
        m = K.drift_plan(np.uint64(seed), stale, np.zeros(6, dtype=np.int64), xnorms, drift_sum, 1.0, 1.0, 1.0, 0.05,
                         np.inf, draws, probs, np.empty(6, dtype=np.bool_), gaps)
        if m == 3:
            assert sorted(gaps[:4].tolist()) == [0, 1, 1, 1]
            key = tuple(draws[:3].tolist())
            counts[key] = counts.get(key, 0) + 1
    values = np.array(list(counts.values()), dtype=float)
    assert len(counts) == 6 and set(counts) == {(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)}
    expected = values.sum() / 6
    assert ((values - expected) ** 2 / expected).sum() < 25.7  # chi-square, 5 degrees of freedom: p < 1e-4


@pytest.mark.parametrize("n", [1, 2, 7, 50])
def test_drift_plan_runs_of_skipped_visits_differ_by_at_most_one(n: int) -> None:
    """For every number computed, from none to all: the runs add up to the skipped visits, none is negative,
    and the longest is at most one longer than the shortest."""
    rng = np.random.default_rng(n)
    xnorms, drift_sum = np.ones(n), np.array([0.0])
    draws, probs, gaps = np.empty(n, dtype=np.int64), np.empty(n), np.empty(n + 1, dtype=np.int64)
    for m_wanted in range(n + 1):
        stale = np.full(n, 50.0)
        stale[rng.permutation(n)[:m_wanted]] = -np.inf  # never computed: computed now
        m = K.drift_plan(np.uint64(m_wanted), stale, np.zeros(n, dtype=np.int64), xnorms, drift_sum, 1.0, 1.0, 1.0,
                         1e-9, np.inf, draws, probs, np.empty(n, dtype=np.bool_), gaps)
        assert m == m_wanted
        runs = gaps[:m + 1]
        assert runs.sum() == n - m and runs.min() >= 0 and runs.max() - runs.min() <= 1


def test_drift_pass_skips_equal_per_visit_skips() -> None:
    """The active set's O(1) skipped visits (shrink and average on scalars, through renormalisations)
    equal stale-unbiased shrinking skipping the same visits one by one."""
    X, y = _problem(n=40)
    rng = np.random.default_rng(9)
    order = rng.integers(0, 40, size=300).astype(np.int64)
    computed = rng.random(300) < 0.3
    args = (*_csr(X), y, np.linalg.norm(X, axis=1))
    lam, t0, w0 = 0.1, 1.0, rng.normal(size=X.shape[1])

    def fresh() -> tuple[np.ndarray, ...]:
        scale = 3e-9  # near the renormalisation floor
        return (w0 / scale, np.array([scale, float(w0 @ w0) / scale**2, 0.0]), np.zeros(X.shape[1]),
                np.array([1.0, 0.0, 0.0]), np.zeros(4, dtype=np.int64))

    # per visit: a computed draw has no stale margin (weight 1), a skipped one looks far satisfied
    v1, s1, a1, as1, c1 = fresh()
    stale = np.full(40, np.inf)
    for k in range(300):
        stale[order[k]] = -np.inf if computed[k] else np.inf
        K.sgd_pass(*args, order[k:k + 1], np.ones(1), np.array([0.99]), v1, s1, stale, np.zeros(40, dtype=np.int64),
                   c1, lam, t0, K.HINGE, K.STALE_UNBIASED, 0.5, 1.0, 0.05, np.inf, 0.0, 0.0, False, K.PROJ_BALL,
                   1.0 / np.sqrt(lam), a1, as1, 20, 2.0, np.ones(0), np.zeros(0, dtype=np.int64), np.zeros(3), *_NO_CV)
    # the active set: only the computed draws, with the skipped visits counted between them
    v2, s2, a2, as2, c2 = fresh()
    kept = np.flatnonzero(computed)
    gaps = np.diff(np.r_[-1, kept, 300]) - 1
    K.sgd_pass(*args, order[kept], np.ones(len(kept)), np.zeros(len(kept)), v2, s2, np.full(40, -np.inf),
               np.zeros(40, dtype=np.int64), c2, lam, t0, K.HINGE, K.DRIFT, 1.0, 1.0, 0.05, np.inf, 0.0, 0.0, False,
               K.PROJ_BALL, 1.0 / np.sqrt(lam), a2, as2, 20, 2.0, np.ones(len(kept)), gaps.astype(np.int64), np.zeros(3), *_NO_CV)
    np.testing.assert_allclose(s2[0] * v2, s1[0] * v1, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(as2[0] * a2 + as2[1] * v2, as1[0] * a1 + as1[1] * v1, rtol=1e-9, atol=1e-12)
    assert c1[0] == c2[0] == 300 and c1[1] == c2[1] == len(kept) and as1[2] == as2[2] == 280


def test_drift_shrinking_step_is_unbiased() -> None:
    """A drift-shrinking draw (computed with probability p, weighted 1/p, else only the shrink) gives
    plain SGD's step on average, though its stale margin says satisfied and it is violated now."""
    X, y = _problem(n=10)
    w0 = np.random.default_rng(4).normal(size=X.shape[1])
    i = int(np.argmin(y * (X @ w0)))
    args = (*_csr(X), y, np.linalg.norm(X, axis=1))
    lam, t0 = 0.1, 3.0
    plain, state = w0.copy(), np.array([1.0, w0 @ w0, 0.0])
    K.sgd_pass(*args, np.array([i]), np.ones(1), np.array([0.0]), plain, state, np.full(10, -np.inf),
               *_no_extras(10), lam, t0, K.HINGE, K.OFF, 0.3, 1.0, 0.05, np.inf, 0.0, 0.0, False, K.PROJ_NONE, 1.0, *_NO_AVERAGE)
    plain *= state[0]
    total, seeds = np.zeros_like(w0), np.random.default_rng(5).integers(0, 2**64, size=4000, dtype=np.uint64)
    for seed in seeds:
        v, s, stale, streak = w0.copy(), np.array([1.0, w0 @ w0, 0.0]), np.full(10, 2.0), np.zeros(10, dtype=np.int64)
        draws, probs, gaps = np.empty(1, dtype=np.int64), np.empty(1), np.empty(2, dtype=np.int64)
        m = K.drift_plan(seed, stale[i:i + 1], streak[i:i + 1], 1.0 / args[4][i:i + 1], np.array([0.0]), 0.2, 1.0, 1.0,
                         0.05, np.inf, draws, probs, np.empty(1, dtype=np.bool_), gaps)
        draws[:m] = i  # the plan of a one-instance pass, for instance i
        K.sgd_pass(*args, draws[:m], np.ones(m), np.zeros(m), v, s, stale, streak, np.zeros(4, dtype=np.int64), lam, t0,
                   K.HINGE, K.DRIFT, 1.0, 1.0, 0.05, np.inf, 0.0, 0.0, False, K.PROJ_NONE, 1.0, np.zeros(0),
                   np.array([1.0, 0.0, 0.0]), -1, 1.0, probs[:m], gaps[:m + 1], np.zeros(3), *_NO_CV)
        total += s[0] * v
    np.testing.assert_allclose(total / len(seeds), plain, atol=0.05 * np.abs(plain).max())


def _cv_arrays(n: int, d: int) -> tuple:
    """Stale-gradient state for a direct kernel call: ``cv``, ``ubar``, ``sgrad``, ``flipped``, ``cv_state``."""
    return True, np.zeros(d), np.zeros(n), np.zeros(n, dtype=np.uint8), np.array([0.0, 0.0, 0.0, 0.0, 1.0])


@pytest.mark.parametrize("rho", [1.0, 2.0, 8.0])
def test_stale_gradient_pass_matches_a_dense_saga_reference(rho: float) -> None:
    """Uniform SGD with stale gradients (``w = scale v + b u``, averaged ``A avg + B v + C u``) equals a
    dense SAGA-style loop: every visit steps along the stale gradients' mean and adds its own change,
    through renormalisations of v (the scale starts near the floor) and projections onto the ball."""
    X, y = _problem(n=40)
    n, d = X.shape
    rng = np.random.default_rng(11)
    order = rng.integers(0, n, size=400).astype(np.int64)
    lam, t0, radius = 0.1, 1.0, 1.0 / np.sqrt(0.1)
    w0 = rng.normal(size=d)
    scale = 3e-4
    v, state = w0 / scale, np.array([scale, float(w0 @ w0) / scale**2, 0.0])
    avg, avg_state, counters = np.zeros(d), np.array([1.0, 0.0, 0.0]), np.zeros(4, dtype=np.int64)
    cv = _cv_arrays(n, d)
    K.sgd_pass(*_csr(X), y, np.linalg.norm(X, axis=1), order, np.ones(400), np.zeros(0), v, state,
               np.full(n, -np.inf), np.zeros(n, dtype=np.int64), counters, lam, t0, K.HINGE, K.OFF, 1.0, 1.0, 0.05,
               np.inf, 0.0, 0.0, False, K.PROJ_BALL, radius, avg, avg_state, 0, rho, np.ones(0),
               np.zeros(0, dtype=np.int64), np.zeros(3), *cv)
    _, ubar, sgrad, _, cv_state = cv
    w_kernel = state[0] * v + cv_state[0] * ubar
    avg_kernel = avg_state[0] * avg + avg_state[1] * v + cv_state[1] * ubar

    w, table, mean, average, changes = w0.copy(), np.zeros(n), np.zeros(d), np.zeros(d), 0
    for k, i in enumerate(order):
        eta = 1.0 / (lam * (k + 1 + t0))
        g = 1.0 if y[i] * X[i] @ w < 1.0 else 0.0
        w = (1.0 - eta * lam) * w + eta * mean + eta * (g - table[i]) * y[i] * X[i]
        if g != table[i]:
            mean += (g - table[i]) * y[i] * X[i] / n
            table[i] = g
            changes += 1
        if np.linalg.norm(w) > radius:
            w *= radius / np.linalg.norm(w)
        mu = rho / (k + rho)  # the (k+1)-th averaged iterate
        average = (1.0 - mu) * average + mu * w
    np.testing.assert_allclose(w_kernel, w, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(avg_kernel, average, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ubar, mean, atol=1e-12)
    np.testing.assert_array_equal(sgrad, table)
    assert counters[3] == changes > 0
    assert cv_state[2] == pytest.approx(float(v @ ubar), rel=1e-8, abs=1e-10)  # tracked v.u and u.u
    assert cv_state[3] == pytest.approx(float(ubar @ ubar), rel=1e-8, abs=1e-12)


@pytest.mark.parametrize("avg_start", [-1, 0])
@pytest.mark.parametrize("scale", [0.3, 100.0])
def test_stale_gradient_drift_pass_projects_after_every_visit(scale: float, avg_start: int) -> None:
    """A drift pass with stale gradients equals a dense reference that steps every visit, skipped or computed,
    along the stale gradients' mean and then projects onto the ball. Rows scaled by 100 make the mean's step
    leave the ball at skipped visits (which projected nothing before: ||w|| ended a pass above the radius);
    scaled by 0.3, ||u|| <= lambda radius at the start, and the skipped visits, which then cannot leave the ball,
    skip the test."""
    X, y = _problem(n=30)
    X *= scale
    n, d = X.shape
    rng = np.random.default_rng(12)
    order = rng.permutation(n)[:10].astype(np.int64)  # the computed draws, with 20 skipped visits between them
    gaps = np.bincount(rng.integers(0, 11, size=20), minlength=11).astype(np.int64)
    probs = np.full(10, 0.5)
    lam, t0, radius, rho = 0.1, 1.0, 1.0 / np.sqrt(0.1), 8.0
    w0 = rng.normal(size=d)
    w0 *= 0.9 * radius / np.linalg.norm(w0)
    table0 = (y * (X @ w0) < 1.0).astype(float)
    v, state = w0.copy(), np.array([1.0, float(w0 @ w0), 0.0])
    avg, avg_state, counters = np.zeros(d if avg_start >= 0 else 0), np.array([1.0, 0.0, 0.0]), np.zeros(4, dtype=np.int64)
    ubar, sgrad, cv_state = (table0 * y) @ X / n, table0.copy(), np.array([0.0, 0.0, 0.0, 0.0, 1.0])
    assert (np.linalg.norm(ubar) > lam * radius) == (scale > 1.0)
    K.sgd_pass(*_csr(X), y, np.linalg.norm(X, axis=1), order, np.ones(10), np.zeros(0), v, state, np.full(n, -np.inf),
               np.zeros(n, dtype=np.int64), counters, lam, t0, K.HINGE, K.DRIFT, 1.5, 1.0, 0.1, np.inf, 0.0, 0.0,
               False, K.PROJ_BALL, radius, avg, avg_state, avg_start, rho, probs, gaps, np.zeros(3), True, ubar, sgrad,
               np.zeros(n, dtype=np.uint8), cv_state)
    w_kernel = state[0] * v + cv_state[0] * ubar

    w, table, mean, average, t = w0.copy(), table0.copy(), (table0 * y) @ X / n, np.zeros(d), 0
    visits = [(None, 0.0)] * int(gaps[0])
    for k, i in enumerate(order):
        visits += [(int(i), probs[k])] + [(None, 0.0)] * int(gaps[k + 1])
    for i, p in visits:
        t += 1
        eta = 1.0 / (lam * (t + t0))
        step = (1.0 - eta * lam) * w + eta * mean
        if i is not None:  # computed: its own gradient's change since its stale one, weighted 1/p
            g = 1.0 if y[i] * X[i] @ w < 1.0 else 0.0
            step += eta / p * (g - table[i]) * y[i] * X[i]
            mean += (g - table[i]) * y[i] * X[i] / n
            table[i] = g
        w = step
        if np.linalg.norm(w) > radius:
            w *= radius / np.linalg.norm(w)
        mu = rho / (t - 1 + rho)  # the t-th averaged iterate
        average = (1.0 - mu) * average + mu * w
    assert counters[0] == 30 and counters[3] > 0
    np.testing.assert_allclose(w_kernel, w, rtol=1e-8, atol=1e-10)
    assert np.linalg.norm(w_kernel) <= radius * (1.0 + 1e-9)
    np.testing.assert_array_equal(sgrad, table)
    if avg_start >= 0:
        avg_kernel = avg_state[0] * avg + avg_state[1] * v + cv_state[1] * ubar
        np.testing.assert_allclose(avg_kernel, average, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("stale_side", ["satisfied", "violated"])
def test_stale_gradient_drift_draw_is_unbiased(stale_side: str) -> None:
    """A drift draw with stale gradients, computed with probability p (its change weighted 1/p) or
    skipped (the mean's step only), gives on average the step of computing it: for an instance whose
    stale gradient says satisfied though it is violated now, and the other way round."""
    X, y = _problem(n=10)
    n, d = X.shape
    rng = np.random.default_rng(12)
    w0 = rng.normal(size=d)
    margins = y * (X @ w0)
    i = int(np.argmin(margins)) if stale_side == "satisfied" else int(np.argmax(margins))
    assert (margins[i] < 1.0) == (stale_side == "satisfied")  # it has changed side since its stale gradient
    args = (*_csr(X), y, np.linalg.norm(X, axis=1))
    base_sgrad = (y * (X @ rng.normal(size=d)) < 1.0).astype(float)  # some other stale gradients
    base_sgrad[i] = 0.0 if stale_side == "satisfied" else 1.0
    base_ubar = (base_sgrad * y) @ X / n

    def one(draws: np.ndarray, probs: np.ndarray, gaps: np.ndarray) -> np.ndarray:
        v = (w0 - 0.3 * base_ubar) / 0.5  # w = scale v + b u = w0, with scale 0.5 and b 0.3
        state = np.array([0.5, float(v @ v), 7.0])
        cv = (True, base_ubar.copy(), base_sgrad.copy(), np.zeros(n, dtype=np.uint8),
              np.array([0.3, 0.0, float(v @ base_ubar), float(base_ubar @ base_ubar), 1.0]))
        K.sgd_pass(*args, draws, np.ones(len(draws)), np.zeros(len(draws)), v, state, np.full(n, 2.0),
                   np.zeros(n, dtype=np.int64), np.zeros(4, dtype=np.int64), 0.1, 3.0, K.HINGE, K.DRIFT, 1.0, 1.0,
                   0.05, np.inf, 0.0, 0.0, False, K.PROJ_NONE, 1.0, *_NO_AVERAGE[:4], probs, gaps, np.zeros(3), *cv)
        return state[0] * v + cv[4][0] * cv[1]

    full = one(np.array([i]), np.array([1.0]), np.array([0, 0]))
    p = 0.3
    computed = one(np.array([i]), np.array([p]), np.array([0, 0]))
    skipped = one(np.zeros(0, dtype=np.int64), np.zeros(0), np.array([1]))
    np.testing.assert_allclose(p * computed + (1 - p) * skipped, full, rtol=1e-10, atol=1e-12)
    assert not np.allclose(skipped, full)  # the skipped visit alone is wrong for this instance


def test_two_sided_drift_probability() -> None:
    """With stale gradients a violated instance is skipped too, by its distance below 1."""
    for m in (0.2, 1.8):
        expected = np.sqrt(0.5 * erfc(0.8 / np.sqrt(2)))
        assert K.drift_probability(m, 1.0, 1.0, 1.0, 0.05, np.inf, True) == pytest.approx(expected, abs=1e-5)
    assert K.drift_probability(0.2, 1.0, 1.0, 1.0, 0.05, np.inf, False) == 1.0  # one-sided: violated is sure
    assert K.drift_probability(-np.inf, 1.0, 1.0, 1.0, 0.05, np.inf, True) == 1.0  # never computed
    assert K.drift_probability(np.nan, 1.0, 1.0, 1.0, 0.05, np.inf, True) == 1.0
    assert K.drift_probability(1.0, 1.0, 1.0, 1.5, 0.05, np.inf, True) == 1.0  # scale 1.5 x sqrt(1/2) > 1


@pytest.mark.parametrize("cv", [False, True])
def test_drift_sgd_pass_is_the_plan_then_the_pass_then_the_drift_sum(cv: bool) -> None:
    """The one-call drift pass equals ``drift_plan``, ``sgd_pass`` over its draws and the running drift sum."""
    X, y = _problem(n=60)
    n, d = X.shape
    rng = np.random.default_rng(13)
    args = (*_csr(X), y, np.linalg.norm(X, axis=1))
    w0 = rng.normal(size=d)
    stale0 = y * (X @ w0) + rng.normal(scale=0.3, size=n) + 1.0  # half satisfied or so
    streak0 = np.where(rng.random(n) < 0.6, 0, rng.integers(1, 3, size=n)).astype(np.int64)
    sgrad0 = (stale0 < 1.0).astype(float) if cv else np.zeros(0)
    ubar0 = (sgrad0 * y) @ X / n if cv else np.zeros(0)

    def state() -> list:
        return [w0.copy(), np.array([1.0, float(w0 @ w0), 40.0]), stale0.copy(), streak0.copy(),
                np.zeros(4, dtype=np.int64), np.zeros(d), np.array([1.0, 0.0, 0.0]), np.array([0.04, 0.0, 0.0]),
                ubar0.copy(), sgrad0.copy(), np.zeros(n if cv else 0, dtype=np.uint8), np.array([0.2, 0.0, 0.0, 0.0, 1.0])]

    drift_sum = np.array([0.0, 0.05, 0.09, 0.0])
    common = (0.1, 1.0, K.HINGE, K.DRIFT, 1.5, 1.0, 0.05, np.inf, 0.0, 2.0, False, K.PROJ_BALL, 1.0 / np.sqrt(0.1))
    v, st, stale, streak, counters, avg, avg_state, drift, ubar, sgrad, flipped, cv_state = one = state()
    draws, probs, gaps = np.empty(n, dtype=np.int64), np.empty(n), np.empty(n + 1, dtype=np.int64)
    sums = drift_sum.copy()
    m = K.drift_sgd_pass(np.uint64(5), 6.25, 3.0, sums, 3, 1.0 / args[4], np.empty(n, dtype=np.bool_), *args, draws, np.ones(n), np.zeros(0), v, st,
                         stale, streak, counters, *common, avg, avg_state, 0, 2.0, probs, gaps, drift, cv, ubar, sgrad, flipped, cv_state)

    v2, st2, stale2, streak2, counters2, avg2, avg_state2, drift2, ubar2, sgrad2, flipped2, cv_state2 = two = state()
    d2, p2, g2 = np.empty(n, dtype=np.int64), np.empty(n), np.empty(n + 1, dtype=np.int64)
    m2 = K.drift_plan(np.uint64(5), stale2, streak2, 1.0 / args[4], drift_sum[:3], 0.04, 6.25, 1.5, 0.05, 3.0, d2, p2,
                      np.empty(n, dtype=np.bool_), g2, cv)
    K.sgd_pass(*args, d2[:m2], np.ones(m2), np.zeros(0), v2, st2, stale2, streak2, counters2, *common, avg2,
               avg_state2, 0, 2.0, p2[:m2], g2[:m2 + 1], drift2, cv, ubar2, sgrad2, flipped2, cv_state2)
    assert m == m2 and 0 < m < n
    for a, b in zip(one, two):
        if a is not drift:
            np.testing.assert_array_equal(a, b)
    assert drift2[2] > 0  # some instances measured the drift
    measured = drift2[1] / drift2[2]
    assert drift[0] == measured and drift[1] == drift[2] == 0.0
    np.testing.assert_array_equal(sums[:3], drift_sum[:3])
    assert sums[3] == drift_sum[2] + measured


@pytest.mark.parametrize("mode", [K.OFF, K.DRIFT])
@pytest.mark.parametrize("cv", [False, True])
@pytest.mark.parametrize("avg_start", [-1, 0])
def test_compiled_copies_equal_the_general_loop(mode: int, cv: bool, avg_start: int) -> None:
    """``sgd_pass`` runs a copy of the loop compiled for these settings; it gives the general loop's numbers
    bit for bit (the same state after a pass from the same state)."""
    X, y = _problem(n=60)
    n, d = X.shape
    rng = np.random.default_rng(21)
    args = (*_csr(X), y, np.linalg.norm(X, axis=1))
    w0 = rng.normal(size=d)
    stale0 = y * (X @ w0) + rng.normal(scale=0.3, size=n) + 1.0
    sgrad0 = (stale0 < 1.0).astype(float) if cv else np.zeros(0)
    draws, probs, gaps = np.empty(n, dtype=np.int64), np.empty(n), np.empty(n + 1, dtype=np.int64)
    if mode == K.DRIFT:
        m = K.drift_plan(np.uint64(3), stale0.copy(), np.zeros(n, dtype=np.int64), 1.0 / args[4], np.array([0.0, 0.05]),
                         0.04, 6.25, 1.5, 0.05, 3.0, draws, probs, np.empty(n, dtype=np.bool_), gaps, cv)
        order, probs, gaps = draws[:m], probs[:m], gaps[:m + 1]
        assert 0 < m < n
    else:
        order, probs, gaps = rng.permutation(n).astype(np.int64), np.zeros(0), np.zeros(0, dtype=np.int64)

    def run(loop: object) -> list:
        st = [w0.copy(), np.array([1.0, float(w0 @ w0), 40.0]), stale0.copy(), np.zeros(n, dtype=np.int64),
              np.zeros(4, dtype=np.int64), np.zeros(d if avg_start >= 0 else 0), np.array([1.0, 0.0, 0.0]),
              np.array([0.04, 0.0, 0.0]), (sgrad0 * y) @ X / n if cv else np.zeros(0), sgrad0.copy(),
              np.zeros(n if cv else 0, dtype=np.uint8), np.array([0.2, 0.0, 0.0, 0.0, 1.0])]
        v, state, stale, streak, counters, avg, avg_state, drift, ubar, sgrad, flipped, cv_state = st
        K.sgd_pass(*args, order, np.ones(len(order)), np.zeros(0), v, state, stale, streak, counters, 0.1, 1.0,
                   K.HINGE, mode, 1.5, 1.0, 0.05, np.inf, 0.0, 2.0, False, K.PROJ_BALL, 1.0 / np.sqrt(0.1), avg,
                   avg_state, avg_start, 8.0, probs, gaps, drift, cv, ubar, sgrad, flipped, cv_state, loop=loop)
        return st

    assert K.pass_for(mode, cv, avg_start, K.HINGE, K.PROJ_BALL, False) is not K._PASS_ANY
    for copy, general in zip(run(None), run(K._PASS_ANY)):
        np.testing.assert_array_equal(copy, general)
