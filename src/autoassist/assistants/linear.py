"""The paper's Assistant: a logistic regression that predicts whether an instance is informative.

``p(x, y) = sigmoid(w . phi(x) + u[y] + b)``, where ``phi(x)`` is the instance's row of a fixed
feature matrix and ``u[y]`` a per-class bias. Training target: 1 if the instance's Boss loss is
above the running mean of recent Boss losses (an exponential moving average over feedback
batches, as in the official code), else 0. One plain SGD step on the L2-regularised logistic
loss per feedback batch; defaults are the official code's (lr 0.01, L2 1e-3).

Scoring is one matrix-vector product for thousands of candidates at once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autoassist._errors import check_choice, check_float, check_int, fail
from autoassist.features import InstanceFeatures


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # numerically safe logistic


def check_learning(lr: float, l2: float, threshold: str) -> tuple[float, float, str]:
    """The Assistant's SGD step, L2 penalty and target threshold, checked (``AutoAssist`` calls it before building)."""
    return (check_float("lr", lr, positive=True,
                        fix="It is the Assistant's SGD step size: a positive number, 0.01 by default (the official "
                            "code's); 0.5 for translation."),
            check_float("l2", l2, nonnegative=True,
                        fix="It is the L2 penalty on the Assistant's weights: 0 or more, 1e-3 by default."),
            check_choice("threshold", threshold, ("ema", "previous-pass"),
                         fix="It is what the Assistant's target compares a loss with: 'ema' (the default) a moving "
                             "average of recent losses, 'previous-pass' the previous pass's mean loss."))


def check_decay(name: str, value: float, fix: str) -> float:
    """A moving-average decay in [0, 1)."""
    number = check_float(name, value, nonnegative=True, fix=fix)
    if number >= 1:
        raise fail(name, "in [0, 1)", number, fix)
    return number


class LinearAssistant:
    """Online logistic-regression Assistant over a fixed :class:`InstanceFeatures` matrix.

    Args:
        features: the per-instance feature matrix and labels (built once, see ``build_features``).
        lr: SGD learning rate (official code: 0.01).
        l2: L2 penalty on ``w`` and ``u`` (official code: 1e-3).
        mean_decay: decay of the moving average of Boss losses that defines the target (0.9: about
            the last ten feedback batches).
        stat_decay: decay of the running accuracy and positive-rate statistics.
    """

    def __init__(
        self,
        features: InstanceFeatures,
        *,
        lr: float = 0.01,
        l2: float = 1e-3,
        mean_decay: float = 0.9,
        stat_decay: float = 0.98,
        threshold: str = "ema",
    ) -> None:
        self.features = features
        self.lr, self.l2, self.threshold = check_learning(lr, l2, threshold)
        self.mean_decay = check_decay("mean_decay", mean_decay,
                                      "It is how slowly the mean loss the target compares with moves (0.9, the "
                                      "default: about the last ten feedback batches; 0: the current batch alone).")
        self.stat_decay = check_decay("stat_decay", stat_decay,
                                      "It is how slowly the running accuracy and positive rate move (0.98, the "
                                      "default: about the last fifty feedback batches).")
        self.pass_sum, self.pass_count = 0.0, 0
        self.previous_pass_mean: float | None = None
        d = features.dim
        self.w = np.zeros(d, dtype=np.float32)
        self.u = np.zeros(features.num_classes, dtype=np.float32)
        self.b = 0.0
        self.running_mean: float | None = None
        self.accuracy = 0.5
        self.positive_rate = 0.5
        self.instances_seen = 0
        self.updates = 0

    def logits(self, indices: np.ndarray) -> np.ndarray:
        """Raw scores ``w . phi(x) + u[y] + b`` of the instances ``indices`` (float64)."""
        out = self.u[self.features.labels[indices]].astype(np.float64) + self.b
        if self.features.dim:
            out += np.asarray(self.features.matrix[indices] @ self.w, dtype=np.float64).reshape(-1)
        return out

    def score(self, indices: np.ndarray) -> np.ndarray:
        """Probability that each instance in ``indices`` is informative (its loss above the mean)."""
        return _sigmoid(self.logits(np.asarray(indices, dtype=np.int64)))

    def begin_pass(self, pass_index: int) -> None:
        """A new pass of the candidate stream: with ``threshold="previous-pass"`` the target's threshold
        becomes the mean loss reported during the pass that ended (the official translation rule)."""
        if self.pass_count:
            self.previous_pass_mean = self.pass_sum / self.pass_count
        self.pass_sum, self.pass_count = 0.0, 0

    def targets(self, losses: np.ndarray) -> np.ndarray:
        """1.0 where a loss is above the running mean of recent Boss losses (updated after), or above the
        previous pass's mean loss with ``threshold="previous-pass"`` once a pass has ended."""
        if self.threshold == "previous-pass" and self.previous_pass_mean is not None:
            return (losses > self.previous_pass_mean).astype(np.float64)
        mean = float(np.mean(losses)) if self.running_mean is None else self.running_mean
        return (losses > mean).astype(np.float64)

    def learn(self, indices: np.ndarray, losses: np.ndarray) -> np.ndarray:
        """One SGD step on one feedback batch, then update the running mean and statistics.

        Returns the gradient of the batch's mean logistic loss with respect to each logit, so that a
        subclass with extra terms in its logits can step them without scoring the batch again.
        """
        indices = np.asarray(indices, dtype=np.int64)
        losses = np.asarray(losses, dtype=np.float64)
        if len(indices) == 0:
            return np.empty(0, dtype=np.float64)
        t = self.targets(losses)
        p = self.score(indices)
        acc = float(np.mean((p > 0.5) == (t > 0.5)))
        self.accuracy = self.stat_decay * self.accuracy + (1 - self.stat_decay) * acc
        self.positive_rate = self.stat_decay * self.positive_rate + (1 - self.stat_decay) * float(t.mean())
        g = (p - t) / len(indices)  # d(mean logistic loss)/d(logit)
        labels = self.features.labels[indices]
        if self.features.dim:
            rows = self.features.matrix[indices]
            grad_w = np.asarray(rows.T @ g.astype(np.float32), dtype=np.float32).reshape(-1) + self.l2 * self.w
        else:
            grad_w = self.l2 * self.w
        grad_u = np.bincount(labels, weights=g, minlength=len(self.u)).astype(np.float32) + self.l2 * self.u
        self.w -= self.lr * grad_w
        self.u -= self.lr * grad_u
        self.b -= self.lr * float(g.sum())
        batch_mean = float(losses.mean())
        if self.running_mean is None:
            self.running_mean = batch_mean
        else:
            self.running_mean = self.mean_decay * self.running_mean + (1 - self.mean_decay) * batch_mean
        self.instances_seen += len(indices)
        self.updates += 1
        self.pass_sum += float(losses.sum())
        self.pass_count += len(losses)
        return g

    def state_dict(self) -> dict[str, Any]:
        return {
            "w": self.w.copy(), "u": self.u.copy(), "b": self.b, "running_mean": self.running_mean,
            "accuracy": self.accuracy, "positive_rate": self.positive_rate,
            "instances_seen": self.instances_seen, "updates": self.updates,
            "pass_sum": self.pass_sum, "pass_count": self.pass_count, "previous_pass_mean": self.previous_pass_mean,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if np.shape(state["w"]) != self.w.shape or np.shape(state["u"]) != self.u.shape:
            raise fail("state", f"an Assistant state with w of shape {self.w.shape} and u of shape {self.u.shape}",
                       f"w {np.shape(state['w'])}, u {np.shape(state['u'])}",
                       "Restore into an Assistant built on the same feature matrix.")
        self.w = np.asarray(state["w"], dtype=np.float32).copy()
        self.u = np.asarray(state["u"], dtype=np.float32).copy()
        self.b = float(state["b"])
        self.running_mean = None if state["running_mean"] is None else float(state["running_mean"])
        self.accuracy = float(state["accuracy"])
        self.positive_rate = float(state["positive_rate"])
        self.instances_seen = check_int("instances_seen", state["instances_seen"], minimum=0,
                                        fix="Restore a state saved by an Assistant's state_dict().")
        self.updates = int(state["updates"])
        self.pass_sum, self.pass_count = float(state["pass_sum"]), int(state["pass_count"])
        self.previous_pass_mean = None if state["previous_pass_mean"] is None else float(state["previous_pass_mean"])

    def stats(self) -> dict[str, float]:
        return {
            "assistant_accuracy": self.accuracy,
            "assistant_positive_rate": self.positive_rate,
            "assistant_instances_seen": float(self.instances_seen),
        }
