"""``ShrinkingSVC``: a linear SVM trained by Pegasos-style SGD, with instance shrinking.

Minimises ``lambda/2 ||w||^2 + 1/n sum_i loss(y_i w.x_i)`` (hinge or squared hinge) with
step ``1 / (lambda (t + t0))``. With ``fit_intercept`` the bias is a constant feature of value
``intercept_scaling`` and is regularised, exactly as in LIBLINEAR (``LinearSVC``), so the
objective matches ``LinearSVC(C=1/(lambda n), intercept_scaling=...)``.

Shrinking (``shrinking=``):

* ``"drift"`` (default): shrinking by a model of how far margins drift, with stale gradients.
  **Stale gradients** (``stale_gradients``, on by default with ``"drift"`` and the hinge loss; also
  usable with ``"off"``): the hinge loss's gradient is piecewise constant, ``-y_i x_i`` while instance i is
  violated and 0 while it is satisfied, so its gradient at its last computed visit stands in for it
  while it stays on that side. Every visit steps along the mean of these stale gradients and a
  computed one adds the change of its own gradient since its stale one (SAGA's control variate,
  Defazio et al. 2014), with weight 1 by default (``stale_correction="lagged"``): a skipped instance's
  stale gradient stands in for its current one, a bias that vanishes as instances stop changing side
  (at the optimum every stale gradient is current: the same fixed point), and measured over 25 seeds
  it reached 1e-2 in fewer passes on all four benchmark sets, without the heavy tail that
  ``"unbiased"`` (weight 1/p: unbiased, SAGA's estimator under Bernoulli sampling, the default before)
  had on w8a, where a rarely computed instance that changed side unseen took a 10x-weighted step
  (``benchmarks/svm/README.md``). Either way an instance that stays on its side adds no variance
  whether or not it is computed (the pass that fills an empty table, the first, is plain SGD). So violated
  instances can be skipped too, not only satisfied ones (LIBLINEAR's shrinking, likewise, removes
  variables at both bounds). The mean is kept as ``w = scale v + b u`` (O(1) per visit; a changed
  stale gradient moves ``u`` and ``v`` by one pass over its nonzeros). **Drift**: instance i, whose
  margin ``m`` was computed ``g`` passes ago, is computed now with probability ``p = shrink_prob * sqrt(q)`` (clipped to
  ``[shrink_prob_min, 1]``), where ``q = Phi(-|m - 1| / (kappa ||x_i|| sigma_g))`` is the chance
  that a Gaussian drift has moved it to the other side of 1 since: ``sigma_g^2`` sums the mean
  squared margin change per unit ``||x_i||`` measured in each of those passes (on instances computed
  at consecutive visits that took no data step at the first, weighted 1/p), ``kappa =
  shrink_drift_scale``. Without stale gradients only satisfied instances are skipped (``p = 1`` when
  ``m <= 1``) and a computed one's whole data term is weighted 1/p. ``sqrt(q)`` is the sampling
  that adds least variance ``sum q (1/p - 1)`` per margin computed; ``shrink_prob`` (a scale here,
  not a probability; default 1.5 with stale gradients, 1.0 without) above 1 computes every instance
  within about one drift of the margin (at ``q = 1/2``, ``sqrt(q) = 0.71``): measured, computing them
  at p = 0.71 cost 1.3-1.5x the passes (``benchmarks/svm/scale_sweep.txt``). The pass is planned up front (each instance is drawn once
  per pass): only the computed draws are walked, in a uniformly random order, with the pass's skipped
  visits spread evenly between them (where a skipped visit sits decides only the step size a computed
  draw gets, not which instance takes it), and the skipped visits between two of them cost O(1) each on
  scalars (the regulariser's shrink, the stale gradients' step and the average; where that step can leave
  the ball, with poorly scaled rows, its projection too), never a memory access per instance. Defaults
  ``shrink_drift_scale=2.5``, ``shrink_prob_min=0.1`` with stale gradients (with ``"unbiased"``, at most a 10x
  weight: with 0.05, rare 20x-weighted corrections of instances that crossed the margin unseen kept w8a's averaged
  objective above 1e-2 for 200 passes on one seed in six), 0.05 without. Measured: ``benchmarks/svm/README.md``.
* ``"stale-unbiased"``: an instance whose margin at its previous visit was at least
  ``1 + shrink_threshold/(k+1)`` (k: passes done) is skipped without computing its margin, with
  probability ``1 - shrink_prob``; the regulariser's shrink is still applied (O(1)), and when it
  is computed its data term is weighted ``1 / shrink_prob``. The expected step equals plain
  SGD's, and skipped instances cost no dot product. Defaults ``shrink_prob=0.5``,
  ``shrink_threshold=3.0`` (early stale margins are unreliable, so early passes skip only
  instances far above the margin); the default before ``"drift"``.
* ``"stale"``: the same decision, but a skipped instance is simply not stepped (no shrink, no
  reweighting). Biased.
* ``"paper"``: the rule of the paper's official code: compute the margin; step only if
  ``u < shrink_prob`` or ``u < ||x_i|| [y_i w.x_i < 1] - shrink_threshold/(k+1)``
  (k: pass index; defaults 0.3 and 0.0, the official code's). Skipped instances get no shrink.
* ``"off"``: plain SGD.

Attribution: Zhang, Yu and Dhillon, "AutoAssist", NeurIPS 2019 (the shrinking idea); Shalev-Shwartz
et al., "Pegasos", ICML 2007 (the step size and projection).
"""

from __future__ import annotations

import math
import time
import warnings
from typing import Any

import numpy as np
from scipy.special import erfcinv
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

from autoassist._errors import ParameterTypeError, check_bool, check_choice, check_float, check_int, check_probability, fail
from autoassist.linear import _data, _kernels as K, _random, _sampling

_SHRINKING = {"off": K.OFF, "paper": K.PAPER, "stale": K.STALE, "stale-unbiased": K.STALE_UNBIASED, "drift": K.DRIFT}
_PROJECTION = {"ball": K.PROJ_BALL, "none": K.PROJ_NONE}
# what a continuing partial_fit cannot change (the state was built for the first call's values), and why
_FROZEN = {
    "alpha": "lambda was fixed when training started",
    "C": "lambda was fixed when training started",
    "loss": "the model and its stale state were trained for that loss",
    "fit_intercept": "the weight vector was sized for it",
    "intercept_scaling": "the intercept was learned as the weight of a constant feature of that value",
    "shrinking": "the stale margins and counters held for each instance belong to that mode",
    "stale_gradients": "the state holds a table of stale gradients only when they are on",
    "average": "the averaged iterate was started (or not) with that setting",
    "average_weighting": "the average so far was weighted with it",
    "random_state": "the run's random generator was seeded from it",
}
_SHRINK_PROB_FIX = ("With shrinking='drift' it is a scale on sqrt(q), a number >= 0 (default 1.5 with stale gradients, "
                    "else 1.0); the other modes take a probability, e.g. 0.5; None picks the mode's default.")


_PASS_INDEX, _DRIFT_PASSES = K.PARAMS.index("pass_index"), K.PARAMS.index("drift_passes")


class ShrinkingSVC(ClassifierMixin, BaseEstimator):
    """Binary linear SVM by SGD with uniform, importance or shrinking instance selection.

    ``history_`` is a list of dicts, one at the start and one after each pass: ``visited``
    (instances drawn), ``updates`` (steps taken), ``margins`` (dot products w.x_i computed,
    including importance sampling's per-pass refresh), ``objective`` (primal objective on the
    training data), ``seconds`` (training time, evaluation excluded) and ``test_accuracy``
    (when ``eval_set`` is given), ``gradient_changes`` (computed instances whose stale gradient
    changed: each cost a pass over its nonzeros); with averaging also ``objective_last_iterate``. ``alpha`` is
    lambda; ``None`` means ``1/n_samples``, and ``C`` (LIBLINEAR's) may be given instead:
    lambda = 1/(C n). ``partial_fit`` takes n from ``n_samples_total`` unless ``alpha`` is set.

    Further parameters: ``stale_gradients`` (None, the default: on with ``shrinking="drift"`` and the
    hinge loss, off otherwise; True with ``"off"``: uniform SGD with SAGA's control variate; not
    available with the squared hinge, the other shrinking modes, importance sampling or
    ``clock="updates"``); ``stale_correction`` (``"lagged"``, the default, or ``"unbiased"``: the weight of
    a computed instance's gradient change under ``"drift"`` with stale gradients, 1 or 1/p; see above;
    no effect otherwise, where every margin is computed or there is no stale gradient); ``shrink_drift_scale``
    (``"drift"``: kappa, the factor on the measured drift; larger computes more); ``shrink_decay`` (``"stale-unbiased"``, < 1: an instance seen satisfied for s consecutive visits
    is computed with probability ``max(shrink_prob_min, shrink_prob * shrink_decay**(s-1))``,
    still unbiased by its 1/p weight; 1.0: a fixed ``shrink_prob``); ``shrink_far_margin`` (an
    instance whose stale margin is at least this is computed with probability at most
    ``shrink_prob_min``: instances far above the margin rarely flip between visits); ``shrink_prob_min``
    (None: 0.1 for ``"drift"`` with stale gradients, else 0.05); ``average`` (True: ``coef_``
    is the average of the iterates of every visit, computed lazily in O(1) per visit, as
    scikit-learn's ``SGDClassifier(average=True)``; an int: average from that visit on);
    ``average_weighting`` (a number eta >= 0: polynomial-decay averaging, Shamir and Zhang 2013, the
    k-th iterate weighted about k**eta: the average moves to each new iterate by ``(eta + 1) / (k + eta)``;
    default 7.0; ``"linear"`` is 1, the O(1/k) rate for step 1/(lambda k), Lacoste-Julien, Schmidt and
    Bach 2012, and the default before 7; ``"uniform"`` is 0, the plain mean, as scikit-learn's, slowed
    down by the early iterates. Measured on four sets, 7 needed 0.53-0.68x the passes of 1 to stay
    below 1e-2, for uniform SGD and shrinking alike: ``benchmarks/svm/averaging_sweep.txt``);
    ``tol``/``n_iter_no_change`` (stop once the objective has not beaten the best so far by ``tol``
    relative for ``n_iter_no_change`` passes); ``t0`` (the step is ``1/(lambda (t + t0))``, default 1.0);
    ``projection`` (``"ball"``, the default: after every step w is projected onto the ball of radius
    ``1/sqrt(lambda)``, ``sqrt(2/lambda)`` with the squared hinge, which holds the minimiser (Pegasos): it
    moves no fixed point and tames the large early steps; ``"none"``: no projection, plain SGD. A third
    mode, ``"sphere"``, which rescaled w onto that ball's surface after every step, minimised another
    objective, since the minimiser lies inside the ball, and was removed); ``clock`` (what t counts in the
    step: ``"visits"``, the default, every draw, computed or skipped, so the step follows plain SGD's
    schedule whatever shrinking skips; ``"updates"``, only the draws that take a step, so skipped draws
    leave the step as it is: larger steps for longer; the same as ``"visits"`` with ``shrinking="off"``;
    not with stale gradients, whose mean steps at every visit).
    ``random_state`` (None, an int >= 0, a ``numpy.random.Generator`` or a ``numpy.random.RandomState``,
    whose next draw seeds the run) seeds a ``numpy.random.Generator`` that gives each pass two 64-bit seeds;
    the pass's permutation and shrinking decisions are drawn from them inside the compiled loops
    (SplitMix64, ``_random``), so a run is a function of ``random_state``.

    ``partial_fit`` continues from the state the previous call (or ``fit``) left; a ``set_params`` in
    between of a setting that state was built for (``alpha``, ``C``, ``loss``, ``fit_intercept``,
    ``intercept_scaling``, ``shrinking``, ``stale_gradients``, ``average``, ``average_weighting``,
    ``random_state``) is refused by the next call, naming it; the others take effect from the next pass.

    What a trained estimator holds, and so its pickle: the weights, the averaged iterate and the stale
    gradients' mean (O(d) each), a few scalars and ``history_`` (one small dict per pass); never a copy of
    the training data. After ``fit`` nothing per instance (a later ``partial_fit`` starts the stale
    margins and gradients afresh and keeps the model). After ``partial_fit`` what the next call on the
    same rows continues from: each instance's stale margin and visit counter (16 bytes), with stale
    gradients also its gradient factor and a changed-side flag (9 bytes more), and a SHA-256 digest of the
    rows and labels that tells the same rows; the pass's scratch buffers are made again, not pickled.
    """

    def __init__(
        self, *, alpha: float | None = None, C: float | None = None, loss: str = "hinge",
        fit_intercept: bool = True, intercept_scaling: float = 1.0, sampling: str = "uniform",
        shrinking: str | bool = "drift", shrink_prob: float | None = None, shrink_threshold: float | None = None,
        shrink_drift_scale: float = 2.5, shrink_decay: float = 1.0, shrink_prob_min: float | None = None, shrink_far_margin: float = np.inf, clock: str = "visits",
        projection: str = "ball", t0: float = 1.0, importance_mix: float = 0.1, average: bool | int = False,
        average_weighting: str | float = 7.0, max_iter: int = 10, tol: float | None = None,
        n_iter_no_change: int = 5, random_state: Any = None, stale_gradients: bool | None = None,
        stale_correction: str = "lagged",
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
        self.shrink_drift_scale = shrink_drift_scale
        self.shrink_decay = shrink_decay
        self.shrink_prob_min = shrink_prob_min
        self.shrink_far_margin = shrink_far_margin
        self.clock = clock
        self.projection = projection
        self.t0 = t0
        self.importance_mix = importance_mix
        self.average = average
        self.average_weighting = average_weighting
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.stale_gradients = stale_gradients
        self.stale_correction = stale_correction

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> dict[str, Any]:
        shrinking = _shrinking_name(self.shrinking)
        p: dict[str, Any] = {
            "loss": K.HINGE if check_choice("loss", self.loss, ("hinge", "squared_hinge")) == "hinge" else K.SQUARED_HINGE,
            "sampling": check_choice("sampling", self.sampling, ("uniform", "loss", "gradnorm")),
            "mode": _SHRINKING[shrinking],
            "prob": check_float("shrink_prob", self.shrink_prob, fix=_SHRINK_PROB_FIX, nonnegative=True)
            if self.shrink_prob is not None else None,
            "threshold": check_float("shrink_threshold", self.shrink_threshold,
                                  fix="It sets the stale modes' skip level 1 + shrink_threshold/(k+1) (k: passes done): "
                                  "a finite number, e.g. 3.0 (0.0 for 'paper'), or None for the mode's default.")
            if self.shrink_threshold is not None else None,
            "drift_scale": check_float("shrink_drift_scale", self.shrink_drift_scale,
                                    fix="It is kappa, the factor on the measured drift (larger computes more instances): "
                                    "a positive number, e.g. the default 2.5.", positive=True),
            "decay": check_probability("shrink_decay", self.shrink_decay, fix="1.0 keeps shrink_prob fixed; e.g. 0.8."),
            "prob_min": check_probability("shrink_prob_min", self.shrink_prob_min)
            if self.shrink_prob_min is not None else None,
            "far_margin": _far_margin(self.shrink_far_margin),
            "clock_updates": check_choice("clock", self.clock, ("visits", "updates")) == "updates",
            "projection": _projection(self.projection),
            "t0": check_float("t0", self.t0, fix="It offsets the step 1/(lambda (t + t0)): a positive number, "
                           "e.g. the default 1.0 (below 1 the first steps are larger still).", positive=True),
            "mix": check_probability("importance_mix", self.importance_mix),
            "max_iter": check_int("max_iter", self.max_iter,
                                 fix="It is the number of passes fit makes over the data, e.g. max_iter=10.", minimum=1),
            "n_iter_no_change": check_int("n_iter_no_change", self.n_iter_no_change,
                                         fix="With tol set, fit stops after this many passes without an improvement "
                                         "of tol; e.g. the default 5 (1 stops at the first noisy pass).", minimum=1),
            "avg_start": _average_start(self.average),
            "avg_rho": _average_rho(self.average_weighting),
            "lagged": check_choice("stale_correction", self.stale_correction, ("lagged", "unbiased")) == "lagged",
            "fit_intercept": check_bool("fit_intercept", self.fit_intercept),
        }
        _check_random_state(self.random_state)
        if self.stale_gradients is not None and not isinstance(self.stale_gradients, (bool, np.bool_)):
            raise fail("stale_gradients", "True, False or None", repr(self.stale_gradients),
                       "None uses them with shrinking='drift' only.")
        p["cv"] = bool(p["mode"] == K.DRIFT and p["loss"] == K.HINGE if self.stale_gradients is None
                       else self.stale_gradients)
        paper = p["mode"] == K.PAPER  # the official code's constants for "paper", measured ones otherwise
        if p["prob"] is not None and p["mode"] != K.DRIFT:  # drift's is a scale on sqrt(q), the others' a probability
            check_probability("shrink_prob", p["prob"])
        if p["prob"] is None:
            p["prob"] = 0.3 if paper else (1.5 if p["cv"] else 1.0) if p["mode"] == K.DRIFT else 0.5
        if p["threshold"] is None:
            p["threshold"] = 0.0 if paper else 3.0
        if p["prob_min"] is None:  # drift with stale gradients: 1/p at most 10 (0.05 let rare 20x kicks stall w8a)
            p["prob_min"] = 0.1 if p["mode"] == K.DRIFT and p["cv"] else 0.05
        p["z_floor"] = _z_floor(p["prob"], p["prob_min"])
        if self.alpha is not None and self.C is not None:
            raise fail("alpha and C", "not both set", f"alpha={self.alpha}, C={self.C}", "Set one: alpha = 1/(C n).")
        if self.alpha is not None:
            check_float("alpha", self.alpha, positive=True, fix="alpha is lambda, e.g. alpha=1e-4.")
        if self.C is not None:
            check_float("C", self.C, positive=True, fix="C is LIBLINEAR's, e.g. C=1.0.")
        if self.tol is not None:
            check_float("tol", self.tol, fix="It is the relative improvement of the objective that counts as "
                     "progress: a number >= 0, e.g. tol=1e-3, or None to train for max_iter passes.", nonnegative=True)
        if p["fit_intercept"]:
            check_float("intercept_scaling", self.intercept_scaling,
                     fix="It is the value of the constant feature whose weight is the intercept (regularised, as in "
                     "LIBLINEAR): a positive number, e.g. the default 1.0; larger values regularise the intercept "
                     "less.", positive=True)
        if p["mode"] != K.OFF and p["sampling"] != "uniform":
            raise fail("shrinking", f"'off' when sampling={p['sampling']!r}", repr(shrinking),
                       "Shrinking works with sampling='uniform'; pass shrinking='off' for importance sampling.")
        if p["cv"] and p["mode"] not in (K.OFF, K.DRIFT):
            raise fail("stale_gradients", f"False with shrinking={shrinking!r}", True,
                       "Stale gradients work with shrinking='drift' or 'off'; pass stale_gradients=False.")
        if p["cv"] and p["sampling"] != "uniform":
            raise fail("stale_gradients", f"False with sampling={p['sampling']!r}", True,
                       "Stale gradients work with sampling='uniform'; pass stale_gradients=False.")
        if p["cv"] and p["loss"] != K.HINGE:
            raise fail("stale_gradients", "False with loss='squared_hinge'", True,
                       "The squared hinge's gradient changes at every step, so a stale one is no stand-in "
                       "(benchmarks/svm/squared_hinge_check.txt); use loss='hinge'.")
        if p["cv"] and p["clock_updates"]:
            raise fail("stale_gradients", "False with clock='updates'", True,
                       "Every visit steps along the stale gradients' mean: use clock='visits'.")
        if (p["decay"] != 1.0 or p["far_margin"] != np.inf) and p["prob_min"] == 0.0 and p["mode"] == K.STALE_UNBIASED:
            raise fail("shrink_prob_min", "> 0 when shrink_decay < 1 with unbiased shrinking", 0.0,
                       "The computed step is weighted 1/p; use e.g. shrink_prob_min=0.05.")
        if p["mode"] == K.DRIFT and p["prob_min"] == 0.0:
            raise fail("shrink_prob_min", "> 0 with shrinking='drift'", 0.0,
                       "Every instance must keep a chance to be computed (its step is weighted 1/p); use e.g. 0.05.")
        if p["mode"] in (K.STALE, K.STALE_UNBIASED, K.DRIFT) and p["prob"] == 0.0:
            raise fail("shrink_prob", "> 0 for stale shrinking", 0.0, "Use e.g. shrink_prob=0.5.")
        p["loop"] = K.pass_for(p["mode"], p["cv"], p["avg_start"], p["loss"], p["projection"], p["clock_updates"])
        return p

    def _check_Xy(self, X: Any, y: Any, *, reset: bool) -> tuple[_data.Prepared, np.ndarray]:
        _data.check_lengths(X, y)
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=np.float64, reset=reset, ensure_all_finite=False)
        _data.check_finite(X)
        data = _data.prepare(X, float(self.intercept_scaling) if self.fit_intercept else None)
        _data.check_norms(data)
        return data, y

    def _check_eval_set(self, eval_set: Any, classes: np.ndarray) -> tuple[Any, np.ndarray] | None:
        """``eval_set`` checked as a pair ``(X_eval, y_eval)`` of the training data's features and ``classes``
        (``n_features_in_`` is this call's), before any state changes: scoring it after a pass must not fail."""
        if eval_set is None:
            return None
        fix = "Pass eval_set=(X_test, y_test): held-out rows with the training data's features and classes."
        if not isinstance(eval_set, (tuple, list)) or len(eval_set) != 2:
            shape = getattr(eval_set, "shape", None)
            got = (f"{type(eval_set).__name__} of length {len(eval_set)}" if isinstance(eval_set, (tuple, list))
                   else type(eval_set).__name__ + (f" of shape {tuple(shape)}" if shape is not None else ""))
            raise fail("eval_set", "a pair (X_eval, y_eval)", got, fix)
        X_eval, y_eval = eval_set
        _data.check_lengths(X_eval, y_eval, name="eval_set's y_eval", of="eval_set's X_eval")
        try:
            X_eval = validate_data(self, X_eval, accept_sparse="csr", dtype=np.float64, reset=False,
                                   ensure_all_finite=False)
        except ValueError as error:
            raise fail("eval_set", "a pair (X_eval, y_eval) whose X_eval is laid out as the training X "
                       f"({self.n_features_in_} features)", f"an X_eval that scikit-learn refuses: "
                       f"{str(error).rstrip('.')}", fix) from None
        _data.check_finite(X_eval, name="eval_set's X_eval")
        y_eval = np.asarray(y_eval)
        if y_eval.ndim != 1:
            raise fail("eval_set's y_eval", "a 1-D array of labels", f"an array of shape {y_eval.shape}",
                       "Pass one label per row of X_eval, e.g. y_eval.ravel().")
        _data.binary_targets(y_eval, classes, "The test accuracy counts the training classes only: pass held-out "
                             "labels from those.", name="eval_set's y_eval")
        return X_eval, y_eval

    def _check_unchanged(self, p: dict[str, Any]) -> None:
        """Refuse a ``set_params`` since training started of a setting that a continuing partial_fit cannot honour
        (``_FROZEN``), naming it with its old and new value; estimators pickled before these were kept pass."""
        frozen = getattr(self, "_frozen", None)
        if frozen is None:
            return
        held, given = frozen
        now = self._frozen_settings(p)
        for name, why in _FROZEN.items():
            if not _same(held[name], now[name]):
                new = getattr(self, name)
                raise fail(name, f"unchanged since the first partial_fit call or fit (it was {given[name]!r})",
                           repr(new), f"A continuing partial_fit cannot honour a new {name}: {why}. Call fit to "
                           f"train afresh with it, or set it back with set_params({name}={given[name]!r}).")

    def _frozen_settings(self, p: dict[str, Any]) -> dict[str, Any]:
        """``_FROZEN``'s settings as the state holds them (``shrinking=True`` is ``"drift"``; ``intercept_scaling``
        without an intercept and ``average_weighting`` without averaging are unused, so free to change)."""
        return {"alpha": self.alpha, "C": self.C, "loss": p["loss"], "fit_intercept": p["fit_intercept"],
                "intercept_scaling": float(self.intercept_scaling) if p["fit_intercept"] else None,
                "shrinking": p["mode"], "stale_gradients": p["cv"], "average": p["avg_start"],
                "average_weighting": p["avg_rho"] if p["avg_start"] >= 0 else None, "random_state": self.random_state}

    # ---------------------------------------------------------------- training
    def _start(self, p: dict[str, Any], n_total: int, n_columns: int, *, n_total_given: bool = False) -> None:
        """Fresh model state; ``n_total``: n in lambda = 1/(C n), ``n_total_given``: whether the caller said it
        (partial_fit's ``n_samples_total``: no later chunk may be larger)."""
        self._frozen = (self._frozen_settings(p), {name: getattr(self, name) for name in _FROZEN})
        rs = self.random_state
        if isinstance(rs, np.random.Generator):
            self._rng = np.random.default_rng(rs.bit_generator.random_raw())
        elif isinstance(rs, np.random.RandomState):
            self._rng = np.random.default_rng(int(rs.randint(2**31 - 1)))
        else:
            self._rng = np.random.default_rng(rs)
        self._n_total = n_total
        self._n_total_given = n_total_given
        if self.alpha is not None:
            self._lam = float(self.alpha)
        elif self.C is not None:
            self._lam = 1.0 / (float(self.C) * n_total)
        else:
            self._lam = 1.0 / n_total
        self._v = np.zeros(n_columns)
        self._state = np.array([1.0, 0.0, 0.0])
        self._avg = np.zeros(n_columns if p["avg_start"] >= 0 else 0)
        self._avg_state = np.array([1.0, 0.0, 0.0])  # [A, B, averaged visits]: average = A avg + B v (+ C u)
        self._u = np.zeros(n_columns if p["cv"] else 0)  # stale gradients' mean: w = scale v + b u
        self._cv_state = np.zeros(5)  # [b, C, v.u, u.u, mean's weight: 0 while the table fills]
        self._counters = np.zeros(4, dtype=np.int64)  # [visited, updates, margins, stale-gradient changes]
        self._seconds = 0.0
        self.n_iter_ = 0
        self.history_: list[dict[str, Any]] = []

    def _reset_instances(self, n: int) -> None:
        if self._u.shape[0]:  # stale gradients of other instances: their mean's part of w (and the average) goes to v
            b, c = self._cv_state[:2]
            if self._avg.shape[0] and self._avg_state[2] > 0:
                self._avg += (c - self._avg_state[1] * b / self._state[0]) / self._avg_state[0] * self._u
            self._v += b / self._state[0] * self._u
            self._u[:] = 0.0
            self._cv_state[:] = 0.0  # and the next pass fills the table (mean's weight 0)
        self._sgrad = np.zeros(n if self._u.shape[0] else 0)  # stale gradients: loss derivative at the last computed visit
        self._flipped = np.zeros(n if self._u.shape[0] else 0, dtype=np.uint8)
        self._stale = np.full(n, -np.inf)
        self._streak = np.zeros(n, dtype=np.int64)
        self._drift = np.zeros(3)  # [mean squared margin drift per unit ||x|| of the last pass (0: unknown), its two sums]
        self._drift_sum = np.zeros(64)  # [j]: the drifts measured in passes 0..j-1, summed (pass 0 measures none)
        self._drift_passes = 1  # entries of _drift_sum in use
        self._buffers = _PassBuffers(n)

    def fit(self, X: Any, y: Any, eval_set: tuple[Any, Any] | None = None) -> "ShrinkingSVC":
        """Train from scratch for ``max_iter`` passes; ``eval_set=(X_test, y_test)`` adds test accuracy.

        With ``tol`` set, training stops once the objective has not gone below
        ``best - tol * |best|`` (best: the lowest objective so far) for ``n_iter_no_change``
        consecutive passes, as scikit-learn's SGD does; a ``ConvergenceWarning`` says when
        ``max_iter`` ended it first. A single pass whose objective goes up (ordinary SGD noise)
        does not stop it.
        """
        p = self._check_params()
        kept = self._input_attributes()
        try:  # every check before the state changes: a refused fit leaves a fitted model as it was
            data, y = self._check_Xy(X, y, reset=True)
            classes_ = _data.two_classes(y)
            evaluation = self._check_eval_set(eval_set, classes_)
        except Exception:
            self._restore_input_attributes(kept)
            raise
        self.classes_ = classes_
        self._start(p, data.n_rows, self.n_features_in_ + int(p["fit_intercept"]))
        self._reset_instances(data.n_rows)
        yy = _data.binary_targets(y, self.classes_, "")  # the classes are y's own: every label is one of them
        self._rows_key: bytes | None = None  # no per-instance state survives fit: a later partial_fit starts it again
        self._record(data, yy, evaluation, p)
        best, no_change, stopped = np.inf, 0, False
        for _ in range(p["max_iter"]):
            self._pass(data, yy, p)
            current = self._record(data, yy, evaluation, p)
            if self.tol is not None:
                no_change = no_change + 1 if current > best - float(self.tol) * abs(best) else 0
                best = min(best, current)
                if no_change >= p["n_iter_no_change"]:
                    stopped = True
                    break
        self._forget_instances()
        if self.tol is not None and not stopped:
            warnings.warn(f"ShrinkingSVC stopped at max_iter={p['max_iter']} passes before the objective stopped "
                          f"improving by tol={self.tol} (relative) for n_iter_no_change={p['n_iter_no_change']} "
                          "passes; increase max_iter.", ConvergenceWarning)
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None, eval_set: tuple[Any, Any] | None = None,
                    n_samples_total: int | None = None) -> "ShrinkingSVC":
        """One pass over (X, y), continuing from the current state (two calls equal fit with max_iter=2).

        lambda must not depend on how the data is chunked: unless ``alpha`` (lambda itself) is
        set, the first call needs ``n_samples_total``, the number of instances in the whole
        training set (lambda = 1/(C n_samples_total), or 1/n_samples_total without C).
        ``classes`` may be given on any call but must not change. Stale margins and gradients carry
        over only when a call passes the same rows (compared by a SHA-256 digest of their content and
        labels) as the previous partial_fit call; with other rows, or after ``fit`` (which keeps no
        per-instance state), they start again (the model is kept): a stale gradient of another instance
        would bias the step. The settings a continuing call cannot honour (``alpha``, ``C``, ``loss``,
        ``fit_intercept``, ``intercept_scaling``, ``shrinking``, ``stale_gradients``, ``average``,
        ``average_weighting``, ``random_state``) must not change after the first call (or fit): a
        ``set_params`` of one is refused, naming it; the others (``shrink_*``, ``t0``, ``sampling``,
        ``projection``, ``clock``, ...) take effect from the next pass.
        """
        p = self._check_params()
        first = not hasattr(self, "_v")
        if not first:
            self._check_unchanged(p)
        if n_samples_total is not None:
            n_samples_total = check_int("n_samples_total", n_samples_total, minimum=1)
        if first and self.alpha is None and n_samples_total is None:
            raise fail("n_samples_total", "given on the first partial_fit call when alpha is None", None,
                       "lambda = 1/(C n) must not depend on the chunk size: pass n_samples_total=<instances in the "
                       "whole training set>, or set alpha (lambda) in the constructor.")
        if not first and n_samples_total is not None and n_samples_total != self._n_total:
            raise fail("n_samples_total", f"the same on every call ({self._n_total})", n_samples_total,
                       "lambda was fixed on the first call; pass the same value or none.")
        kept = self._input_attributes()
        try:  # every check before the state changes: a refused first call leaves the estimator unfitted
            data, y = self._check_Xy(X, y, reset=first)
            total = n_samples_total if n_samples_total is not None else None if first or not getattr(
                self, "_n_total_given", False) else self._n_total  # estimators pickled before it was kept: not given
            if total is not None and total < data.n_rows:
                raise fail("n_samples_total", f"at least this call's number of rows ({data.n_rows})",
                           total if n_samples_total is not None else f"{total} (given on the first partial_fit call)",
                           "It is the number of instances in the whole training set, every chunk included.")
            if first:
                classes_ = _data.two_classes(np.asarray(classes) if classes is not None else y,
                                             "classes" if classes is not None else "y")
                yy = _data.binary_targets(y, classes_,
                                          "Pass every class on the first partial_fit call with classes=[...].")
            else:
                classes_ = self.classes_
                if classes is not None and not np.array_equal(np.unique(np.asarray(classes)), classes_):
                    raise fail("classes", f"the same on every partial_fit call ({classes_.tolist()})",
                               str(np.unique(np.asarray(classes)).tolist()),
                               "Pass the classes of the first call, or start again with a new estimator.")
                yy = _data.binary_targets(
                    y, classes_, "The classes were fixed on the first partial_fit call; to train on others, start "
                    "again with a new estimator and pass every class on its first call with classes=[...].")
            evaluation = self._check_eval_set(eval_set, classes_)
        except Exception:
            self._restore_input_attributes(kept)
            raise
        key = _data.fingerprint(data, yy)
        if first:
            self.classes_ = classes_
            self._start(p, n_samples_total if n_samples_total is not None else data.n_rows,
                        self.n_features_in_ + int(p["fit_intercept"]), n_total_given=n_samples_total is not None)
            self._reset_instances(data.n_rows)
        elif key != getattr(self, "_rows_key", None):  # other rows: stale margins and gradients do not carry over
            self._reset_instances(data.n_rows)
        self._rows_key = key
        if first:
            self._record(data, yy, evaluation, p)
        self._pass(data, yy, p)
        self._record(data, yy, evaluation, p)
        return self

    def _input_attributes(self) -> dict[str, Any]:
        """The attributes ``validate_data(reset=True)`` sets, as they are before a call checks its input."""
        return {name: self.__dict__[name] for name in ("n_features_in_", "feature_names_in_") if name in self.__dict__}

    def _restore_input_attributes(self, kept: dict[str, Any]) -> None:
        for name in ("n_features_in_", "feature_names_in_"):
            self.__dict__.pop(name, None)
        self.__dict__.update(kept)

    def _forget_instances(self) -> None:
        """Drop the per-instance state (length n: stale margins, counters, stale gradients, the pass's scratch)
        after fit: only a partial_fit on the same rows reads it, and a fitted model's pickle should not grow
        with the training set."""
        for name in ("_sgrad", "_flipped", "_stale", "_streak", "_buffers"):
            self.__dict__.pop(name, None)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_buffers", None)  # scratch that a pass fills before reading: made again on the next pass
        state.pop("_rows", None)  # what estimators before the digest kept: a copy of the training rows
        return state

    def _pass(self, data: _data.Prepared, y: np.ndarray, p: dict[str, Any]) -> None:
        start = time.perf_counter()
        n, buf = data.n_rows, getattr(self, "_buffers", None)
        if buf is None or buf.order.shape[0] != n:  # dropped from the pickle (scratch)
            buf = self._buffers = _PassBuffers(n)
        seeds = _random.seeds_from(self._rng, 2)  # the permutation's, the shrinking decisions'
        self._state[1] = float(self._v @ self._v)  # exact ||v||^2 once per pass against drift (v.u, u.u: sgd_pass)
        if p["mode"] == K.DRIFT:  # the active set (only the draws to compute, in pass order), planned into the buffers
            order, weights, uniforms, draw_probs, gaps = buf.draws, buf.ones, buf.uniforms[:0], buf.draw_probs, buf.gaps
        else:
            weights, uniforms, draw_probs, gaps = buf.ones, buf.uniforms[:0], buf.draw_probs[:0], buf.gaps[:0]
            if p["sampling"] == "uniform":
                _random.permutation(seeds[0], buf.order)
                order = buf.order
            else:
                margins = np.empty(n)
                K.margins(data.data, data.indices, data.indptr, y, self._v, self._state[0], margins)
                self._counters[2] += n
                probs = _sampling.importance_probabilities(margins, data.xnorms, by=p["sampling"], loss=p["loss"],
                                                           mix=p["mix"])
                order, weights = _sampling.importance_draws(self._rng, probs)
            if p["mode"] in (K.PAPER, K.STALE, K.STALE_UNBIASED):
                uniforms = buf.uniforms
                _random.uniforms(seeds[1], uniforms)
        params = p.get("params")
        if params is None:  # the pass loop's settings, once per fit or partial_fit call (a tiny set's pass is mostly calls)
            radius = (1.0 if p["loss"] == K.HINGE else math.sqrt(2.0)) / math.sqrt(self._lam)
            params = p["params"] = K.params_array(
                self._lam, p["t0"], p["loss"], p["mode"], p["prob"], p["decay"], p["prob_min"], p["far_margin"],
                p["threshold"], 0.0, p["clock_updates"], p["projection"], radius, p["avg_start"], p["avg_rho"], p["cv"],
                p["drift_scale"] ** 2, p["z_floor"], 0, p["mode"] == K.DRIFT, p["lagged"])
        params[_PASS_INDEX] = self.n_iter_
        if p["mode"] == K.DRIFT:  # plan, pass and drift bookkeeping in one compiled call
            if self._drift_passes == self._drift_sum.shape[0]:
                self._drift_sum = np.r_[self._drift_sum, np.zeros(self._drift_passes)]
            params[_DRIFT_PASSES] = self._drift_passes
        p["loop"](data.data, data.indices, data.indptr, y, data.xnorms, order, weights, uniforms, self._v, self._state,
                  self._stale, self._streak, self._counters, self._avg, self._avg_state, draw_probs, gaps, self._drift,
                  self._u, self._sgrad, self._flipped, self._cv_state, params, seeds[1], self._drift_sum,
                  data.inv_xnorms, buf.keep)
        if p["mode"] == K.DRIFT:
            self._drift_passes += 1
        if p["cv"]:
            self._cv_state[4] = 1.0  # every instance's stale gradient is recorded: the mean steps from now on
        self._seconds += time.perf_counter() - start
        self.n_iter_ += 1
        self._set_coef()

    def _last_iterate(self) -> np.ndarray:
        if self._u.shape[0]:
            return self._state[0] * self._v + self._cv_state[0] * self._u
        return self._state[0] * self._v

    def _set_coef(self) -> None:
        if self._avg.shape[0] and self._avg_state[2] > 0:
            w = self._avg_state[0] * self._avg + self._avg_state[1] * self._v
            if self._u.shape[0]:
                w += self._cv_state[1] * self._u
        else:
            w = self._last_iterate()
        self._w = w
        d = self.n_features_in_
        self.coef_ = w[None, :d].copy()
        self.intercept_ = np.array([w[d] * float(self.intercept_scaling) if self.fit_intercept else 0.0])

    def _objective(self, data: _data.Prepared, y: np.ndarray, w: np.ndarray, loss: int) -> float:
        m = np.empty(data.n_rows)
        K.margins(data.data, data.indices, data.indptr, y, w, 1.0, m)
        return primal_objective(w, m, self._lam, loss)

    def _record(self, data: _data.Prepared, y: np.ndarray, eval_set: Any, p: dict[str, Any]) -> float:
        """Append the history entry of the pass just done (or of the start), after checking that the pass kept
        the weights and objective finite (O(d) on top of the objective's O(nnz): once per pass)."""
        if not hasattr(self, "coef_") or self.n_iter_ == 0:
            self._set_coef()
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is the error below, not a warning
            objective = self._objective(data, y, self._w, p["loss"])
        finite_w = bool(np.isfinite(self._w).all())
        if not (finite_w and math.isfinite(objective)):
            largest = float(np.abs(data.data).max()) if data.data.size else 0.0
            raise fail("X", "scaled so that training stays finite in float64",
                       f"a {'non-finite objective' if finite_w else 'weight vector with inf or NaN'}"
                       f" after pass {self.n_iter_} (largest |entry| {largest:.3g}, lambda {self._lam:.3g})",
                       "Scale the features first, e.g. with sklearn.preprocessing.StandardScaler (dense X) or "
                       "MaxAbsScaler (sparse X); a tiny lambda (alpha, or a large C) overflows the steps "
                       "1/(lambda (t + t0)) too. Then fit again: this model is not usable.")
        accuracy = None if eval_set is None else float(self.score(eval_set[0], eval_set[1]))
        visited, updates, margins, changes = (int(c) for c in self._counters)
        entry = {"pass": self.n_iter_, "visited": visited, "updates": updates, "margins": margins,
                 "gradient_changes": changes,
                 "objective": objective, "seconds": self._seconds, "test_accuracy": accuracy}
        if self._avg.shape[0]:
            entry["objective_last_iterate"] = self._objective(data, y, self._last_iterate(), p["loss"])
        self.history_.append(entry)
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
        loss = self._check_params()["loss"]
        data, y = self._check_Xy(X, y, reset=False)
        yy = _data.binary_targets(y, self.classes_, f"objective() scores the estimator's own classes "
                                  f"{self.classes_.tolist()}: pass labels from those only.")
        return self._objective(data, yy, self._w, loss)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.sparse = True
        return tags


class _PassBuffers:
    """Scratch arrays a pass writes its plan into, allocated once per training set (length n)."""

    def __init__(self, n: int) -> None:
        self.order = np.empty(n, dtype=np.int64)  # the pass's permutation
        self.ones = np.ones(n)  # uniform sampling's data-term weights
        self.uniforms = np.empty(n)  # paper and stale shrinking: one per draw
        self.draws = np.empty(n, dtype=np.int64)  # drift shrinking: the computed draws, in order,
        self.draw_probs = np.empty(n)  # their probabilities,
        self.gaps = np.empty(n + 1, dtype=np.int64)  # and the skipped draws before each (and after the last)
        self.keep = np.empty(n, dtype=np.bool_)  # the plan's decisions, before they are packed


def _same(held: Any, now: Any) -> bool:
    """Whether a frozen setting is unchanged: a random generator by identity (it is drawn from, not compared),
    anything else by value (``0.01 == np.float64(0.01)``)."""
    generators = (np.random.Generator, np.random.RandomState)
    if isinstance(held, generators) or isinstance(now, generators):
        return held is now
    return bool(held == now) if (held is None) == (now is None) else False


def _shrinking_name(shrinking: Any) -> str:
    """``shrinking`` as a mode name: True is "drift", False is "off" (numpy bools too); 1, 1.0 or "True" are refused,
    as ``fit_intercept=1`` is, rather than read as a flag."""
    if isinstance(shrinking, (bool, np.bool_)):
        return "drift" if shrinking else "off"
    if isinstance(shrinking, str) and shrinking in _SHRINKING:
        return shrinking
    raise fail("shrinking", "one of " + ", ".join(repr(c) for c in _SHRINKING) + ", True or False",
               repr(shrinking), "Pass a mode name, e.g. shrinking='drift' (the default; True is 'drift' and False "
               "'off'); numbers are not read as flags.")


def _far_margin(far_margin: Any) -> float:
    """``shrink_far_margin``: a positive margin, or inf (the default: off)."""
    fix = ("It is a stale margin from which an instance is computed with probability at most shrink_prob_min: a "
           "positive number, e.g. 3.0 (far above the margin, where instances rarely flip), or np.inf (off).")
    if isinstance(far_margin, (float, np.floating)) and far_margin == np.inf:
        return np.inf
    return float(check_float("shrink_far_margin", far_margin, fix=fix, positive=True))


def _projection(projection: Any) -> int:
    """``projection`` as the kernels' code; the removed "sphere" is named with the reason."""
    if isinstance(projection, str) and projection == "sphere":
        raise fail("projection", "'ball' or 'none'", "'sphere'", "'sphere' (w rescaled after every step onto the "
                   "surface of the ball that holds the minimiser) was removed: the minimiser generally lies inside "
                   "that ball, not on its surface, so it minimised another objective. Use projection='ball', the "
                   "default.")
    return _PROJECTION[check_choice("projection", projection, tuple(_PROJECTION))]


def _average_start(average: Any) -> int:
    """``average`` as the visit from which iterates are averaged (-1: off), as scikit-learn's SGD (True: from the
    first visit, False or 0: off, an int k >= 1: from visit k on); None is refused, as for every other flag."""
    fix = "Pass True, False, or the number of visits after which to average."
    if isinstance(average, (bool, np.bool_)):
        return 0 if average else -1
    if average is None:
        raise ParameterTypeError(f"average must be True, False or an int >= 0; got None. {fix}")
    if isinstance(average, (int, np.integer)) and average == 0:
        return -1
    return int(check_int("average", average, fix=fix, minimum=1))


def _average_rho(weighting: Any) -> float:
    """``average_weighting`` as the kernels' ``rho = eta + 1`` (the average moves by ``rho / (k + rho - 1)``)."""
    fix = 'Pass a power eta >= 0 (the k-th iterate weighted about k**eta, e.g. 7.0), "linear" (1) or "uniform" (0).'
    named = {"uniform": 1.0, "linear": 2.0}
    if isinstance(weighting, str):
        if weighting not in named:
            raise fail("average_weighting", 'a number >= 0, "linear" or "uniform"', repr(weighting), fix)
        return named[weighting]
    return 1.0 + check_float("average_weighting", weighting, nonnegative=True, fix=fix)


def _check_random_state(random_state: Any) -> None:
    """None, an int >= 0, a ``numpy.random.Generator`` or ``RandomState`` (scikit-learn's ``random_state``, and
    numpy's Generator); a bool or a float is refused rather than read as a seed."""
    if random_state is None or isinstance(random_state, (np.random.Generator, np.random.RandomState)):
        return
    if isinstance(random_state, (bool, np.bool_)) or not isinstance(random_state, (int, np.integer)):
        raise ParameterTypeError(f"random_state must be None, an int >= 0, a numpy.random.Generator or a "
                                 f"numpy.random.RandomState; got {random_state!r} of type "
                                 f"{type(random_state).__name__}. Pass e.g. random_state=0.")
    if random_state < 0:
        raise fail("random_state", "None or an int >= 0", int(random_state),
                   "Seeds are non-negative: pass e.g. random_state=0 (or a numpy.random.Generator).")


def _z_floor(scale: float, floor: float) -> float:
    """The drift score z from which ``scale * sqrt(Phi(-z)) <= floor`` (drift shrinking computes such draws
    with probability ``floor``)."""
    q = (floor / scale) ** 2
    if q >= 0.5:
        return 0.0
    return float(np.sqrt(2.0) * erfcinv(2.0 * q)) if q > 0.0 else np.inf


def primal_objective(w: np.ndarray, margins: np.ndarray, lam: float, loss: int = K.HINGE) -> float:
    """``lam/2 ||w||^2 + mean(loss(margins))`` with margins ``y_i w.x_i`` (hinge: 0, squared: 1)."""
    slack = np.maximum(0.0, 1.0 - margins)
    data_term = slack.mean() if loss == K.HINGE else (slack * slack).mean()
    return float(0.5 * lam * float(w @ w) + data_term)
