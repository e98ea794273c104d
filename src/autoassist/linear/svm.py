"""``ShrinkingSVC``: a linear SVM trained by Pegasos-style SGD, with instance shrinking.

Minimises ``lambda/2 ||w||^2 + 1/n sum_i loss(y_i w.x_i)`` (hinge or squared hinge) with
step ``1 / (lambda (t + t0))``. With ``fit_intercept`` the bias is a constant feature of value
``intercept_scaling`` and is regularised, exactly as in LIBLINEAR (``LinearSVC``), so the
objective matches ``LinearSVC(C=1/(lambda n), intercept_scaling=...)``.

Shrinking (``shrinking=``):

* ``"stale-unbiased"`` (default): an instance whose margin at its previous visit was >= 1 is
  skipped without computing its margin, with probability ``1 - shrink_prob``; the regulariser's
  shrink is still applied (O(1)), and when it is computed its data term is weighted
  ``1 / shrink_prob``. The expected step equals plain SGD's, and skipped instances cost no dot
  product.
* ``"stale"``: the same decision, but a skipped instance is simply not stepped (no shrink, no
  reweighting). Biased.
* ``"paper"``: the rule of the paper's official code: compute the margin; step only if
  ``u < shrink_prob`` or ``u < ||x_i|| [y_i w.x_i < 1] - shrink_threshold/(k+1)``
  (k: pass index). Skipped instances get no shrink.
* ``"off"``: plain SGD.

Attribution: Zhang, Yu and Dhillon, "AutoAssist", NeurIPS 2019 (the shrinking idea); Shalev-Shwartz
et al., "Pegasos", ICML 2007 (the step size and projection).
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

from autoassist._errors import check_choice, check_float, check_int, check_probability, fail
from autoassist.linear import _data, _kernels as K, _sampling

_SHRINKING = {"off": K.OFF, "paper": K.PAPER, "stale": K.STALE, "stale-unbiased": K.STALE_UNBIASED}
_PROJECTION = {"none": K.PROJ_NONE, "ball": K.PROJ_BALL, "sphere": K.PROJ_SPHERE}


class ShrinkingSVC(ClassifierMixin, BaseEstimator):
    """Binary linear SVM by SGD with uniform, importance or shrinking instance selection.

    ``history_`` is a list of dicts, one at the start and one after each pass: ``visited``
    (instances drawn), ``updates`` (steps taken), ``margins`` (dot products w.x_i computed,
    including importance sampling's per-pass refresh), ``objective`` (primal objective on the
    training data), ``seconds`` (training time, evaluation excluded) and ``test_accuracy``
    (when ``eval_set`` is given). ``alpha`` is lambda; ``None`` means ``1/n_samples``, and
    ``C`` (LIBLINEAR's) may be given instead: lambda = 1/(C n).
    """

    def __init__(
        self, *, alpha: float | None = None, C: float | None = None, loss: str = "hinge",
        fit_intercept: bool = True, intercept_scaling: float = 1.0, sampling: str = "uniform",
        shrinking: str | bool = "stale-unbiased", shrink_prob: float = 0.3, shrink_threshold: float = 0.0,
        clock: str = "visits", projection: str = "ball", t0: float = 1.0, importance_mix: float = 0.1,
        max_iter: int = 10, tol: float | None = None, random_state: Any = None,
    ) -> None:
        self.alpha = alpha
        self.C = C
        self.loss = loss
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.sampling = sampling
        self.shrinking = shrinking
        self.shrink_prob = shrink_prob
        self.shrink_threshold = shrink_threshold
        self.clock = clock
        self.projection = projection
        self.t0 = t0
        self.importance_mix = importance_mix
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> dict[str, Any]:
        shrinking = {True: "stale-unbiased", False: "off"}.get(self.shrinking, self.shrinking)  # type: ignore[arg-type]
        p: dict[str, Any] = {
            "loss": K.HINGE if check_choice("loss", self.loss, ("hinge", "squared_hinge")) == "hinge" else K.SQUARED_HINGE,
            "sampling": check_choice("sampling", self.sampling, ("uniform", "loss", "gradnorm")),
            "mode": _SHRINKING[check_choice("shrinking", shrinking, tuple(_SHRINKING))],
            "prob": check_probability("shrink_prob", self.shrink_prob),
            "threshold": check_float("shrink_threshold", self.shrink_threshold),
            "clock_updates": check_choice("clock", self.clock, ("visits", "updates")) == "updates",
            "projection": _PROJECTION[check_choice("projection", self.projection, tuple(_PROJECTION))],
            "t0": check_float("t0", self.t0, positive=True),
            "mix": check_probability("importance_mix", self.importance_mix),
            "max_iter": check_int("max_iter", self.max_iter, minimum=1),
        }
        if self.alpha is not None and self.C is not None:
            raise fail("alpha and C", "not both set", f"alpha={self.alpha}, C={self.C}", "Set one: alpha = 1/(C n).")
        if self.alpha is not None:
            check_float("alpha", self.alpha, positive=True, fix="alpha is lambda, e.g. alpha=1e-4.")
        if self.C is not None:
            check_float("C", self.C, positive=True, fix="C is LIBLINEAR's, e.g. C=1.0.")
        if self.tol is not None:
            check_float("tol", self.tol, nonnegative=True)
        if self.fit_intercept:
            check_float("intercept_scaling", self.intercept_scaling, positive=True)
        if p["mode"] != K.OFF and p["sampling"] != "uniform":
            raise fail("shrinking", f"'off' when sampling={p['sampling']!r}", repr(shrinking),
                       "Shrinking works with sampling='uniform'; pass shrinking='off' for importance sampling.")
        if p["mode"] in (K.STALE, K.STALE_UNBIASED) and p["prob"] == 0.0:
            raise fail("shrink_prob", "> 0 for stale shrinking", 0.0, "Use e.g. shrink_prob=0.3.")
        return p

    def _check_X(self, X: Any, *, reset: bool) -> _data.Prepared:
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=reset, ensure_all_finite=False)
        _data.check_finite(X)
        return _data.prepare(X, float(self.intercept_scaling) if self.fit_intercept else None)

    def _check_Xy(self, X: Any, y: Any, *, reset: bool) -> tuple[_data.Prepared, np.ndarray]:
        _data.check_lengths(X, y)
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=np.float64, reset=reset, ensure_all_finite=False)
        _data.check_finite(X)
        return _data.prepare(X, float(self.intercept_scaling) if self.fit_intercept else None), y

    # ---------------------------------------------------------------- training
    def _start(self, p: dict[str, Any], n: int, n_columns: int) -> None:
        rs = self.random_state
        if isinstance(rs, np.random.Generator):
            self._rng = np.random.default_rng(rs.bit_generator.random_raw())
        elif isinstance(rs, np.random.RandomState):
            self._rng = np.random.default_rng(int(rs.randint(2**31 - 1)))
        else:
            self._rng = np.random.default_rng(rs)
        if self.alpha is not None:
            self._lam = float(self.alpha)
        elif self.C is not None:
            self._lam = 1.0 / (float(self.C) * n)
        else:
            self._lam = 1.0 / n
        self._v = np.zeros(n_columns)
        self._state = np.array([1.0, 0.0, 0.0])
        self._counters = np.zeros(3, dtype=np.int64)
        self._stale = np.full(n, -np.inf)
        self._seconds = 0.0
        self.n_iter_ = 0
        self.history_: list[dict[str, Any]] = []

    def fit(self, X: Any, y: Any, eval_set: tuple[Any, Any] | None = None) -> "ShrinkingSVC":
        """Train from scratch for ``max_iter`` passes; ``eval_set=(X_test, y_test)`` adds test accuracy."""
        p = self._check_params()
        data, y = self._check_Xy(X, y, reset=True)
        self.classes_ = _data.two_classes(y)
        self._start(p, data.n_rows, self.n_features_in_ + int(bool(self.fit_intercept)))
        yy = _data.binary_targets(y, self.classes_)
        self._record(data, yy, eval_set, p)
        for _ in range(p["max_iter"]):
            self._pass(data, yy, p)
            previous = self.history_[-1]["objective"]
            current = self._record(data, yy, eval_set, p)
            if self.tol is not None and previous - current < float(self.tol) * max(abs(previous), 1e-12):
                return self
        if self.tol is not None:
            warnings.warn(f"ShrinkingSVC stopped after max_iter={p['max_iter']} passes before the objective "
                          f"improved by less than tol={self.tol} per pass; increase max_iter.", ConvergenceWarning)
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None, eval_set: tuple[Any, Any] | None = None) -> "ShrinkingSVC":
        """One pass over (X, y), continuing from the current state (two calls equal fit with max_iter=2)."""
        p = self._check_params()
        first = not hasattr(self, "_v")
        data, y = self._check_Xy(X, y, reset=first)
        if first:
            self.classes_ = _data.two_classes(np.asarray(classes) if classes is not None else y)
            self._start(p, data.n_rows, self.n_features_in_ + int(bool(self.fit_intercept)))
        yy = _data.binary_targets(y, self.classes_)
        if self._stale.shape[0] != data.n_rows:  # a different batch: stale margins do not carry over
            self._stale = np.full(data.n_rows, -np.inf)
        if first:
            self._record(data, yy, eval_set, p)
        self._pass(data, yy, p)
        self._record(data, yy, eval_set, p)
        return self

    def _pass(self, data: _data.Prepared, y: np.ndarray, p: dict[str, Any]) -> None:
        start = time.perf_counter()
        n = data.n_rows
        probs = None
        if p["sampling"] != "uniform":
            m = np.empty(n)
            K.margins(data.data, data.indices, data.indptr, y, self._v, self._state[0], m)
            self._counters[2] += n
            probs = _sampling.importance_probabilities(m, data.xnorms, by=p["sampling"], loss=p["loss"], mix=p["mix"])
        order, weights = _sampling.plan_pass(self._rng, n, p["sampling"], probs)
        uniforms = self._rng.random(n)
        radius = (1.0 if p["loss"] == K.HINGE else np.sqrt(2.0)) / np.sqrt(self._lam)
        self._state[1] = float(self._v @ self._v)  # exact ||v||^2 once per pass against drift
        K.sgd_pass(data.data, data.indices, data.indptr, y, data.xnorms, order, weights, uniforms,
                   self._v, self._state, self._stale, self._counters, self._lam, p["t0"], p["loss"],
                   p["mode"], p["prob"], p["threshold"], float(self.n_iter_), p["clock_updates"],
                   p["projection"], radius)
        self._seconds += time.perf_counter() - start
        self.n_iter_ += 1
        self._set_coef()

    def _set_coef(self) -> None:
        w = self._state[0] * self._v
        d = self.n_features_in_
        self.coef_ = w[None, :d].copy()
        self.intercept_ = np.array([w[d] * float(self.intercept_scaling) if self.fit_intercept else 0.0])

    def _record(self, data: _data.Prepared, y: np.ndarray, eval_set: Any, p: dict[str, Any]) -> float:
        if not hasattr(self, "coef_") or self.n_iter_ == 0:
            self._set_coef()
        m = np.empty(data.n_rows)
        K.margins(data.data, data.indices, data.indptr, y, self._v, self._state[0], m)
        w = self._state[0] * self._v
        objective = primal_objective(w, m, self._lam, p["loss"])
        accuracy = None if eval_set is None else float(self.score(eval_set[0], eval_set[1]))
        visited, updates, margins = (int(c) for c in self._counters)
        self.history_.append({"pass": self.n_iter_, "visited": visited, "updates": updates, "margins": margins,
                              "objective": objective, "seconds": self._seconds, "test_accuracy": accuracy})
        return objective

    # --------------------------------------------------------------- predicting
    def decision_function(self, X: Any) -> np.ndarray:
        """Signed distance ``X @ coef_ + intercept_``; positive means ``classes_[1]``."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False)
        return np.asarray(X @ self.coef_[0] + self.intercept_[0]).ravel()

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels."""
        scores = self.decision_function(X)
        return self.classes_[(scores > 0).astype(int)]

    def objective(self, X: Any, y: Any) -> float:
        """Primal objective of the current ``coef_``/``intercept_`` on (X, y), with this fit's lambda."""
        check_is_fitted(self, "coef_")
        data, y = self._check_Xy(X, y, reset=False)
        yy = _data.binary_targets(y, self.classes_)
        m = np.empty(data.n_rows)
        w = self._state[0] * self._v
        K.margins(data.data, data.indices, data.indptr, yy, w, 1.0, m)
        return primal_objective(w, m, self._lam, self._check_params()["loss"])

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.sparse = True
        return tags


def primal_objective(w: np.ndarray, margins: np.ndarray, lam: float, loss: int = K.HINGE) -> float:
    """``lam/2 ||w||^2 + mean(loss(margins))`` with margins ``y_i w.x_i`` (hinge: 0, squared: 1)."""
    slack = np.maximum(0.0, 1.0 - margins)
    data_term = slack.mean() if loss == K.HINGE else (slack * slack).mean()
    return float(0.5 * lam * float(w @ w) + data_term)
