"""An Assistant that also remembers each instance's last observed loss (beyond the paper).

The paper's Assistant sees only a fixed feature vector ``phi(x)`` and the class. The Boss's loss on
an instance changes slowly, so the last loss the Boss reported for it is a strong, free predictor
of whether it is still above the running mean (InfoBatch and importance sampling live on exactly
that signal). ``LossHistoryAssistant`` adds three dynamic features to the paper's logistic regression:

* ``log(last_loss / running_mean)``, clipped to [-5, 5] (0 for instances never reported),
* whether the instance has been reported at all,
* how stale that report is, in passes of the feedback stream (capped at 1).

Built on :meth:`InstanceFeatures.labels_only` it uses no raw features at all (the loss history and
the label alone): nothing to build, the natural choice for huge or augmented data sets
(``AutoAssist(assistant="loss-only")``).

It is still one logistic regression trained online by SGD from feedback, scored in one vectorised
call; its cost adds one gather of three per-instance numbers to the paper's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autoassist._errors import check_float
from autoassist.assistants.linear import LinearAssistant
from autoassist.features import InstanceFeatures


class LossHistoryAssistant(LinearAssistant):
    """The paper's Assistant plus per-instance loss-history features (see the module docstring)."""

    def __init__(self, features: InstanceFeatures, *, history_lr: float = 0.1, **kwargs: Any) -> None:
        super().__init__(features, **kwargs)
        n = len(features)
        self.history_lr = check_float("history_lr", history_lr, nonnegative=True,
                                      fix="It is the SGD step of the three loss-history weights: 0 or more (0 turns "
                                          "the loss history off), 0.1 by default.")
        self.v = np.zeros(3, dtype=np.float64)
        self.last_loss = np.zeros(n, dtype=np.float64)
        self.seen = np.zeros(n, dtype=bool)
        self.last_seen_at = np.zeros(n, dtype=np.int64)

    def _dynamic(self, indices: np.ndarray) -> np.ndarray:
        mean = self.running_mean if self.running_mean else 1.0
        seen = self.seen[indices]
        ratio = np.where(seen, np.log(np.maximum(self.last_loss[indices], 1e-8) / max(mean, 1e-8)), 0.0)
        stale = np.minimum((self.instances_seen - self.last_seen_at[indices]) / max(1, len(self.seen)), 1.0)
        return np.stack([np.clip(ratio, -5, 5), seen.astype(np.float64), np.where(seen, stale, 0.0)], axis=1)

    def logits(self, indices: np.ndarray) -> np.ndarray:
        return super().logits(indices) + self._dynamic(indices) @ self.v

    def learn(self, indices: np.ndarray, losses: np.ndarray) -> np.ndarray:
        indices = np.asarray(indices, dtype=np.int64)
        losses = np.asarray(losses, dtype=np.float64)
        if len(indices) == 0:
            return np.empty(0, dtype=np.float64)
        dynamic = self._dynamic(indices)  # before the update moves the running mean and the clock
        g = super().learn(indices, losses)  # the paper's part: w, u, b, running mean, statistics
        self.v -= self.history_lr * (g @ dynamic + self.l2 * self.v)
        self.last_loss[indices] = losses
        self.seen[indices] = True
        self.last_seen_at[indices] = self.instances_seen
        return g

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state.update({"v": self.v.copy(), "last_loss": self.last_loss.copy(), "seen": self.seen.copy(),
                      "last_seen_at": self.last_seen_at.copy()})
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.v = np.asarray(state["v"], dtype=np.float64).copy()
        self.last_loss = np.asarray(state["last_loss"], dtype=np.float64).copy()
        self.seen = np.asarray(state["seen"], dtype=bool).copy()
        self.last_seen_at = np.asarray(state["last_seen_at"], dtype=np.int64).copy()
