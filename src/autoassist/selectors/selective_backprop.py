"""Selective Backprop (Jiang et al. 2019, "Accelerating Deep Learning by Focusing on the Biggest
Losers", arXiv 1910.00762): back-propagate an instance with a probability that grows with the
percentile of its current loss among recent losses.

Use (a forward selector: it needs the Boss's current losses)::

    selector = SelectiveBackpropSelector(beta=3.0, history=1024)
    filt = ForwardFilter(selector, batch_size=128, seed=0)
    for idx, (x, y) in candidate_loader:                      # uniform stream of candidates
        with torch.no_grad():
            cand_losses = F.cross_entropy(model(x), y, reduction="none")
        for batch_idx, _ in filt.offer(idx, cand_losses):
            ...                                               # forward + backward on batch_idx

The rule: each candidate's loss is appended to a history of the last ``history`` losses seen
(candidates included, in the order they arrive) and the candidate is kept with probability
``CDF(loss) ** beta``, where ``CDF(loss)`` is the fraction of the history, the candidate
included, that is at most its loss (so it is in (0, 1]). Accepted instances are trained with
weight one (the paper's method is biased towards the biggest losers on purpose).

Suggested settings (the paper's): ``beta=3`` (about a third of candidates kept: E[U ** 3] =
1/4 for a uniform percentile U, plus ties); ``history=1024`` is long enough for a stable CDF and
short enough to follow the Boss as its losses fall. Larger ``beta`` keeps fewer instances.

Cost model: every candidate costs a no-grad forward pass of the Boss (about a third of a training
step's compute per instance), whether kept or not; kept instances are forwarded again with
gradients. The benchmark counts and times these scoring forward passes as part of the method's
cost. The CDF itself is O(B * (history + B)) comparisons per candidate batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autoassist._errors import check_float, check_int, fail
from autoassist.selectors.base import Decision, Selector, candidate_losses


def keep_probability(losses: np.ndarray, history: np.ndarray, beta: float, window: int = 1024) -> np.ndarray:
    """Keep probability ``CDF(loss) ** beta`` of each candidate, scored in order.

    Candidate ``j`` is compared with the last ``window`` values of ``history`` (oldest first)
    followed by ``losses[: j + 1]``: the candidate itself and those scored before it count.
    """
    losses = np.asarray(losses, dtype=np.float64)
    combined = np.concatenate([np.asarray(history, dtype=np.float64)[-window:], losses])
    h = len(combined) - len(losses)
    out = np.empty(len(losses), dtype=np.float64)
    for start in range(0, len(losses), 256):  # blocks bound the (block x window) comparison matrix
        js = np.arange(start, min(start + 256, len(losses)))
        ends = h + js + 1
        begins = np.maximum(ends - window, 0)
        lo, hi = int(begins.min()), int(ends.max())
        below = combined[None, lo:hi] <= losses[js, None]
        counts = np.concatenate([np.zeros((len(js), 1), dtype=np.int64), np.cumsum(below, axis=1)], axis=1)
        rows = np.arange(len(js))
        hits = counts[rows, ends - lo] - counts[rows, begins - lo]
        out[js] = (hits / (ends - begins)) ** beta
    return out


class SelectiveBackpropSelector(Selector):
    """Forward selector: keeps a candidate with probability (percentile of its loss) ** ``beta``.

    Args:
        beta: the exponent; larger keeps fewer, higher-loss instances (paper: 3).
        history: how many recent candidate losses define the percentile (paper: 1024).
    """

    name = "selective_backprop"
    needs_boss_losses = True

    def __init__(self, beta: float = 3.0, history: int = 1024) -> None:
        self.beta = check_float("beta", beta, nonnegative=True, fix="The paper uses beta=3.")
        self.history = check_int("history", history, minimum=1, fix="The paper uses history=1024.")
        self._losses = np.empty(0, dtype=np.float64)
        self._scanned = 0
        self._kept_prob_sum = 0.0

    def decide_from_losses(self, indices: np.ndarray, losses: np.ndarray) -> Decision:
        losses = candidate_losses(indices, losses)
        if not np.isfinite(losses).all():
            raise fail("losses", "finite", f"{int((~np.isfinite(losses)).sum())} non-finite values",
                       "Check the Boss for divergence (learning rate too high?).")
        prob = keep_probability(losses, self._losses, self.beta, self.history)
        self._losses = np.concatenate([self._losses, losses])[-self.history:]
        self._scanned += len(losses)
        self._kept_prob_sum += float(prob.sum())
        return Decision(prob, np.ones(len(losses), dtype=np.float64))

    def state_dict(self) -> dict[str, Any]:
        return {"losses": self._losses.copy(), "scanned": self._scanned, "kept_prob_sum": self._kept_prob_sum}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._losses = np.asarray(state["losses"], dtype=np.float64)[-self.history:].copy()
        self._scanned = int(state["scanned"])
        self._kept_prob_sum = float(state["kept_prob_sum"])

    def stats(self) -> dict[str, float]:
        mean_prob = self._kept_prob_sum / self._scanned if self._scanned else 1.0
        return {"sb_mean_keep_probability": mean_prob, "sb_history_size": float(len(self._losses))}
