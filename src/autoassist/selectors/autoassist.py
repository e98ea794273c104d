"""AutoAssist (Zhang, Yu, Dhillon, NeurIPS 2019, arXiv 1905.03381): an online Assistant filters candidates.

Use::

    features = build_features(train_set)                       # once, before training
    selector = AutoAssistSelector(LinearAssistant(features), base_prob=0.3)   # any Assistant
    batches = BatchGenerator(selector, len(train_set), batch_size=128)

A candidate is accepted with probability ``base_prob + (1 - base_prob) * p``, where ``p`` is the
Assistant's predicted probability that the instance's loss is above the Boss's running mean.
``base_prob`` (0.3 for images in the official code) keeps exploring instances the Assistant
thinks are easy. The Boss trains on the plain mean loss of the accepted batch (biased, as in the
paper), unless ``unbiased=True`` weights each accepted instance by its inverse acceptance
probability, normalised to mean one per batch.

The official code's translation rules, as options (``TRANSLATION_RULES`` in :mod:`autoassist.assist`
holds the paper's values): ``accept_first_pass`` (everything is accepted in the first pass),
``adaptive_base`` (``base_prob`` raised to ``1 - accuracy`` while the Assistant's running accuracy is
low), and the Assistant's ``threshold="previous-pass"``.

Options beyond the paper, all off by default: ``warmup_instances`` (accept everything until the
Assistant has learned from that many instances), ``anneal_fraction`` with ``total_steps`` (accept
everything during the last fraction of a known budget of Boss steps), ``noise_guard`` (an instance
whose last ``noise_guard`` reported losses were all above the Assistant's threshold counts as
unlearnable, e.g. a misaligned sentence pair: it is accepted with ``base_prob`` only, like an
instance the Assistant finds easy, until a report below the threshold clears it). A loss-based
filter otherwise keeps such instances at every visit and so trains on them more often than uniform
sampling does (benchmarks/translation/synthetic-lab: with 5% corrupted pairs a perfect Assistant
made the Boss worse than uniform).

Cost model: scoring B candidates is one (B x d) matrix-vector product; learning from a feedback
batch is one (B x d) product. Both run off the Boss's critical path in the batch generator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from autoassist._errors import check_int, check_probability, fail
if TYPE_CHECKING:
    from autoassist.protocols import Assistant
from autoassist.selectors.base import Decision, Selector


def acceptance_probability(informative_prob: np.ndarray, base_prob: float) -> np.ndarray:
    """The paper's acceptance rule: ``base_prob + (1 - base_prob) * p``."""
    return base_prob + (1.0 - base_prob) * np.asarray(informative_prob, dtype=np.float64)


class AutoAssistSelector(Selector):
    """Accepts candidates by the Assistant's prediction; learns the Assistant from feedback."""

    name = "autoassist"

    def __init__(
        self,
        assistant: "Assistant",
        *,
        base_prob: float = 0.3,
        unbiased: bool = False,
        warmup_instances: int = 0,
        anneal_fraction: float = 0.0,
        total_steps: int | None = None,
        accept_first_pass: bool = False,
        adaptive_base: bool = False,
        noise_guard: int = 0,
    ) -> None:
        self.assistant = assistant
        self.noise_guard = check_int("noise_guard", noise_guard, minimum=0,
                                     fix="0 switches it off; 3 treats three reports in a row above the threshold as noise.")
        if self.noise_guard and not callable(getattr(assistant, "targets", None)):
            raise fail("noise_guard", "0 with an Assistant that has no targets(losses) method", noise_guard,
                       "The guard compares each report with the Assistant's own threshold: use the paper's or the "
                       "loss-history Assistant, or noise_guard=0.")
        self._streak = np.zeros(0, dtype=np.int64)
        self.accept_first_pass = bool(accept_first_pass)
        self.adaptive_base = bool(adaptive_base)
        self._pass = -1
        self.base_prob = check_probability("base_prob", base_prob)
        self.unbiased = bool(unbiased)
        self.normalize_weights = self.unbiased
        self.warmup_instances = check_int("warmup_instances", warmup_instances, minimum=0)
        self.anneal_fraction = check_probability("anneal_fraction", anneal_fraction)
        self.total_steps = None if total_steps is None else check_int("total_steps", total_steps, minimum=1)
        if self.anneal_fraction > 0 and self.total_steps is None:
            raise fail("total_steps", "set when anneal_fraction > 0", None,
                       "Annealing accepts everything in the last fraction of a known budget: pass total_steps.")
        self._step = 0

    def bind(self, num_instances: int) -> None:
        super().bind(num_instances)
        features = getattr(self.assistant, "features", None)
        if features is not None and len(features) != num_instances:
            raise fail("features", f"one row per instance ({num_instances} rows, the dataset's length)",
                       f"{len(features)} rows", "Build the features from the same training set.")
        self._streak = np.zeros(num_instances if self.noise_guard else 0, dtype=np.int64)

    def set_step(self, step: int) -> None:
        self._step = step

    def begin_pass(self, pass_index: int) -> None:
        self._pass = int(pass_index)
        begin = getattr(self.assistant, "begin_pass", None)
        if begin is not None:
            begin(pass_index)

    def current_base_prob(self) -> float:
        """``base_prob``, raised to ``1 - accuracy`` while the Assistant's running accuracy is low
        (with ``adaptive_base``, the official translation rule)."""
        if not self.adaptive_base:
            return self.base_prob
        accuracy = float(getattr(self.assistant, "accuracy", 1.0))
        return max(self.base_prob, 1.0 - accuracy)

    def _accept_all(self) -> bool:
        if self.accept_first_pass and self._pass <= 0:
            return True
        if self.assistant.instances_seen < self.warmup_instances:
            return True
        if self.anneal_fraction > 0 and self.total_steps is not None:
            return self._step >= (1.0 - self.anneal_fraction) * self.total_steps
        return False

    def decide(self, indices: np.ndarray) -> Decision:
        n = len(indices)
        if self._accept_all():
            return Decision(np.ones(n), np.ones(n))
        informative = self.assistant.score(indices)
        if self.noise_guard:
            informative = np.where(self._streak[indices] >= self.noise_guard, 0.0, informative)
        prob = acceptance_probability(informative, self.current_base_prob())
        weight = 1.0 / prob if self.unbiased else np.ones(n)
        return Decision(prob, weight)

    def observe(self, indices: np.ndarray, losses: np.ndarray) -> None:
        if self.noise_guard:  # judged against the threshold the Assistant learns this batch against
            above = np.asarray(self.assistant.targets(losses)) > 0.5  # type: ignore[attr-defined]
            self._streak[indices] = np.where(above, self._streak[indices] + 1, 0)
        self.assistant.learn(indices, losses)

    def state_dict(self) -> dict[str, Any]:
        state = {"assistant": self.assistant.state_dict(), "step": self._step, "pass": self._pass}
        if self.noise_guard:
            state["streak"] = self._streak.copy()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.assistant.load_state_dict(state["assistant"])
        self._step = int(state["step"])
        self._pass = int(state["pass"])
        if self.noise_guard:
            if "streak" not in state or np.shape(state["streak"]) != self._streak.shape:
                raise fail("state", f"a state saved with noise_guard on {len(self._streak)} instances",
                           "a state without it", "Restore with the noise_guard the state was saved with.")
            self._streak = np.asarray(state["streak"], dtype=np.int64).copy()

    def stats(self) -> dict[str, float]:
        out = self.assistant.stats()
        if self.noise_guard:
            out = {**out, "guarded_instances": float(np.count_nonzero(self._streak >= self.noise_guard))}
        return out
