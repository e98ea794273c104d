"""Oracle: AutoAssist's acceptance rule with a perfect Assistant that knows every candidate's true loss.

Use (a forward selector: it needs the Boss's current losses)::

    selector = OracleSelector(base_prob=0.3)
    filt = ForwardFilter(selector, batch_size=128, seed=0)
    for idx, (x, y) in candidate_loader:
        with torch.no_grad():
            cand_losses = F.cross_entropy(model(x), y, reduction="none")
        for batch_idx, _ in filt.offer(idx, cand_losses):
            ...                                    # forward + backward on batch_idx, then
            filt.observe(batch_idx, losses)        # feedback updates the running mean

The "Assistant" is the truth: ``p = 1`` if the candidate's current Boss loss is above the
running mean of recent Boss losses, else ``p = 0``, and the candidate is accepted with
AutoAssist's probability ``base_prob + (1 - base_prob) * p`` (weight one, as in the paper). The
running mean is the one :class:`~autoassist.assistants.linear.LinearAssistant` uses: an
exponential moving average with decay ``mean_decay`` (0.9) over the means of feedback batches,
updated by :meth:`observe`; before any feedback, the candidate batch's own mean stands in.

It is an upper bound for what a better Assistant could buy AutoAssist: if the oracle does not
beat uniform training, no Assistant will. Suggested settings: ``base_prob=0.3``, the value the
AutoAssist run it is compared with uses.

Cost model: every candidate costs a no-grad forward pass of the Boss. The benchmark counts this
forward pass as free (its time is excluded from the method's wall time and reported separately),
because the oracle stands for a perfect, free Assistant. The rule itself is O(B).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from autoassist._errors import check_float, check_probability, fail
from autoassist.selectors.autoassist import acceptance_probability
from autoassist.selectors.base import Decision, Selector, candidate_losses


def oracle_informative(losses: np.ndarray, running_mean: float | None) -> np.ndarray:
    """1.0 where a loss is above ``running_mean`` (the losses' own mean if None), else 0.0."""
    losses = np.asarray(losses, dtype=np.float64)
    mean = float(losses.mean()) if running_mean is None else running_mean
    return (losses > mean).astype(np.float64)


class OracleSelector(Selector):
    """Forward selector: AutoAssist's acceptance rule applied to the true current losses.

    ``free_scoring = True``: benchmarks time its scoring forward pass apart and do not count it.

    Args:
        base_prob: acceptance probability of an instance below the running mean (AutoAssist's 0.3).
        mean_decay: decay of the moving average of feedback batch means (LinearAssistant's 0.9).
    """

    name = "oracle"
    free_scoring = True
    needs_boss_losses = True

    def __init__(self, base_prob: float = 0.3, mean_decay: float = 0.9) -> None:
        self.base_prob = check_probability("base_prob", base_prob, fix="AutoAssist uses base_prob=0.3.")
        self.mean_decay = check_float("mean_decay", mean_decay, nonnegative=True)
        if self.mean_decay >= 1.0:
            raise fail("mean_decay", "in [0, 1)", mean_decay, "Use for example mean_decay=0.9.")
        self.running_mean: float | None = None
        self._scanned = 0
        self._informative = 0
        self.feedback_batches = 0

    def decide_from_losses(self, indices: np.ndarray, losses: np.ndarray) -> Decision:
        losses = candidate_losses(indices, losses)
        p = oracle_informative(losses, self.running_mean)
        self._scanned += len(p)
        self._informative += int(p.sum())
        return Decision(acceptance_probability(p, self.base_prob), np.ones(len(p), dtype=np.float64))

    def observe(self, indices: np.ndarray, losses: np.ndarray) -> None:
        values = np.asarray(losses.detach().cpu() if isinstance(losses, torch.Tensor) else losses, dtype=np.float64)
        values = values[np.isfinite(values)]  # a diverged loss would make the running mean NaN for good
        self.feedback_batches += 1
        if len(values) == 0:
            return
        batch_mean = float(np.mean(values))
        if self.running_mean is None:
            self.running_mean = batch_mean
        else:
            self.running_mean = self.mean_decay * self.running_mean + (1 - self.mean_decay) * batch_mean

    def state_dict(self) -> dict[str, Any]:
        return {"running_mean": self.running_mean, "scanned": self._scanned, "informative": self._informative,
                "feedback_batches": self.feedback_batches}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.running_mean = None if state["running_mean"] is None else float(state["running_mean"])
        self._scanned = int(state["scanned"])
        self._informative = int(state["informative"])
        self.feedback_batches = int(state.get("feedback_batches", 0))  # states saved before it was kept: 0

    def stats(self) -> dict[str, float]:
        rate = self._informative / self._scanned if self._scanned else 0.0
        out = {"oracle_informative_rate": rate}
        if self.running_mean is not None:
            out["oracle_running_mean"] = self.running_mean
        return out
