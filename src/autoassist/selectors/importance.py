"""Importance sampling by loss (in the spirit of Katharopoulos & Fleuret, ICML 2018, "Not All
Samples Are Created Equal: Deep Learning with Importance Sampling"), with unbiasing weights.

Use::

    assist = AutoAssist(train_set, batch_size=128, selector=ImportanceSelector(smoothing=0.1))
    for idx, (x, y) in assist.loader():
        loss = assist.report(idx, F.cross_entropy(model(x), y, reduction="none"))  # mean weighted by 1 / (N p_i)
        opt.zero_grad(); loss.backward(); opt.step()

Each pass draws N candidates *with replacement*, instance ``i`` with probability

    p_i = (1 - smoothing) * loss_i / sum_j loss_j + smoothing / N,

where ``loss_i`` is the last loss the Boss reported for ``i`` (stale: refreshed only when ``i``
is trained on). Instances never seen get the mean of the seen ones; before any feedback the
draw is uniform. The probabilities are recomputed at each pass start. Every drawn candidate is
accepted with weight ``1 / (N p_i)``, so ``mean(w_i * loss_i)`` over drawn instances is an
unbiased estimate of the mean loss over the whole training set (when the table is exact), and
the weighted gradient an unbiased estimate of the full gradient. Weights are not renormalised
per batch (that would reintroduce bias).

Suggested settings: ``smoothing=0.1``. Mixing with the uniform distribution bounds every weight
by ``1 / smoothing`` (10), which keeps the gradient variance in check when the table says a few
instances have a huge loss and the rest almost none; it also keeps visiting instances whose
stale loss is near zero, so their table entry gets refreshed.

Cost model: one O(N) normalisation and one vectorised draw of N indices per pass, an O(B) table
write per feedback batch; no forward pass beyond the Boss's own. Every candidate is accepted, so
the keep rate is 1: the method changes *which* instances a pass holds, not how many.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autoassist._errors import check_probability, fail
from autoassist.selectors.base import Decision, Selector


def sampling_probabilities(losses: np.ndarray, seen: np.ndarray, smoothing: float) -> np.ndarray:
    """``p = (1 - smoothing) * l / sum(l) + smoothing / N``; unseen instances get the mean seen loss.

    Uniform if nothing was seen or every seen loss is zero.
    """
    losses = np.asarray(losses, dtype=np.float64)
    seen = np.asarray(seen, dtype=bool)
    n = len(losses)
    if not seen.any():
        return np.full(n, 1.0 / n)
    filled = np.where(seen, losses, losses[seen].mean())
    total = filled.sum()
    if total <= 0.0:
        return np.full(n, 1.0 / n)
    p = (1.0 - smoothing) * filled / total + smoothing / n
    return p / p.sum()  # exact normalisation against rounding


def unbiasing_weights(probabilities: np.ndarray) -> np.ndarray:
    """Weights ``1 / (N p_i)`` that make the weighted mean over draws unbiased for the plain mean."""
    p = np.asarray(probabilities, dtype=np.float64)
    return 1.0 / (len(p) * p)


class ImportanceSelector(Selector):
    """Stream selector: draws each pass's candidates by stale loss, weights them by ``1 / (N p_i)``.

    Args:
        smoothing: eps, the weight of the uniform distribution in the mixture, in (0, 1].
            ``smoothing=1`` is uniform sampling with replacement.
    """

    name = "importance"

    def __init__(self, smoothing: float = 0.1) -> None:
        self.smoothing = check_probability("smoothing", smoothing, fix="Use for example smoothing=0.1.")
        if self.smoothing == 0.0:
            raise fail("smoothing", "in (0, 1]", smoothing,
                       "With no uniform mixing an instance of zero loss is never drawn again and weights are "
                       "unbounded: use for example smoothing=0.1.")
        self.bind(0)

    def bind(self, num_instances: int) -> None:
        super().bind(num_instances)
        self._losses = np.zeros(self.num_instances, dtype=np.float64)
        self._seen = np.zeros(self.num_instances, dtype=bool)
        self._prob = np.full(self.num_instances, 1.0 / max(self.num_instances, 1))

    def begin_pass(self, pass_index: int) -> None:
        self._prob = sampling_probabilities(self._losses, self._seen, self.smoothing)

    def candidates(self, pass_index: int, rng: np.random.Generator) -> np.ndarray:
        return rng.choice(self.num_instances, size=self.num_instances, p=self._prob)

    def decide(self, indices: np.ndarray) -> Decision:
        indices = np.asarray(indices, dtype=np.int64)
        return Decision(np.ones(len(indices), dtype=np.float64), unbiasing_weights(self._prob)[indices])

    def observe(self, indices: np.ndarray, losses: np.ndarray) -> None:
        losses = np.asarray(losses, dtype=np.float64)
        if len(losses) and losses.min() < 0:
            raise fail("losses", "non-negative (sampling is proportional to the loss)", float(losses.min()),
                       "Report a non-negative per-instance loss such as cross-entropy.")
        self._losses[indices] = losses
        self._seen[indices] = True

    def probabilities(self) -> np.ndarray:
        """This pass's sampling probabilities (a copy)."""
        return self._prob.copy()

    def state_dict(self) -> dict[str, Any]:
        return {"losses": self._losses.copy(), "seen": self._seen.copy(), "prob": self._prob.copy()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if len(state["losses"]) != self.num_instances:
            raise fail("state['losses']", f"of length {self.num_instances} (this dataset's size)",
                       len(state["losses"]), "Restore into a selector bound to the same training set.")
        self._losses = np.asarray(state["losses"], dtype=np.float64).copy()
        self._seen = np.asarray(state["seen"], dtype=bool).copy()
        self._prob = np.asarray(state["prob"], dtype=np.float64).copy()

    def stats(self) -> dict[str, float]:
        w = unbiasing_weights(self._prob) if len(self._prob) else np.ones(1)
        return {"importance_max_weight": float(w.max()), "importance_min_weight": float(w.min()),
                "importance_seen_fraction": float(self._seen.mean()) if len(self._seen) else 0.0}
