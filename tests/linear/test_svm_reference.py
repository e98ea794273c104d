"""The solver against slow reference code: objective, one step, Pegasos step by step, unbiasedness."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from autoassist.linear import ShrinkingSVC, primal_objective
from autoassist.linear import _kernels as K
from autoassist.linear._sampling import AliasTable, importance_probabilities


def _problem(n: int = 40, d: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.where(X @ rng.normal(size=d) + 0.5 * rng.normal(size=n) > 0, 1.0, -1.0)
    return X, y


_NO_AVERAGE = (np.zeros(0), np.array([1.0, 0.0, 0.0]), -1, 1.0)


def _no_extras(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``streak`` and ``counters`` for a direct kernel call."""
    return np.zeros(n, dtype=np.int64), np.zeros(3, dtype=np.int64)


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
        order = rng.permutation(len(y))
        rng.random(len(y))  # the solver draws its shrinking uniforms here
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
@pytest.mark.parametrize("rho", [1.0, 2.0])
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
                np.zeros(40, dtype=np.int64), np.zeros(3, dtype=np.int64))

    v, state, stale, streak, counters = fresh()
    avg, avg_state = np.zeros(X.shape[1]), np.array([1.0, 0.0, 0.0])
    K.sgd_pass(*args, order, np.ones(200), uniforms, v, state, stale, streak, counters, lam, t0, K.HINGE, mode,
               0.3, 1.0, 0.05, np.inf, 0.0, 0.0, False, K.PROJ_BALL, 1.0 / np.sqrt(lam), avg, avg_state, start, rho)
    averaged, last = avg_state[0] * avg + avg_state[1] * v, state[0] * v

    v, state, stale, streak, counters = fresh()
    explicit, weight_sum = np.zeros(X.shape[1]), 0.0
    for k in range(200):
        K.sgd_pass(*args, order[k:k + 1], np.ones(1), uniforms[k:k + 1], v, state, stale, streak, counters, lam, t0,
                   K.HINGE, mode, 0.3, 1.0, 0.05, np.inf, 0.0, 0.0, False, K.PROJ_BALL, 1.0 / np.sqrt(lam), *_NO_AVERAGE)
        if k >= start:
            j = k - start + 1  # rho = 1: equal weights; rho = 2: weight j (Lacoste-Julien et al.)
            weight = 1.0 if rho == 1.0 else float(j)
            explicit += weight * state[0] * v
            weight_sum += weight
    np.testing.assert_allclose(last, state[0] * v, rtol=1e-9, atol=1e-12)  # averaging leaves the trajectory alone
    np.testing.assert_allclose(averaged, explicit / weight_sum, rtol=1e-9, atol=1e-12)
    assert avg_state[2] == 200 - start
