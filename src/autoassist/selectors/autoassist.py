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
everything during the last fraction of a known budget of Boss steps), ``prefer="easy"`` (the choice
inverted: accept with ``base_prob + (1 - base_prob) * (1 - p)``, favouring the instances the Assistant
thinks are below the mean; on the synthetic translation lab an exact choice of the easy sentences
trains faster than uniform where an exact choice of the hard ones trains slower), and
``prefer="easy-then-hard"`` with ``switch_fraction`` and ``total_steps`` (the easy ones until that fraction
of a known budget, then the paper's choice: a curriculum that turns into the paper's rule).

Cost model: scoring B candidates is one (B x d) matrix-vector product; learning from a feedback
batch is one (B x d) product. Both run off the Boss's critical path in the batch generator.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from autoassist._errors import check_bool, check_choice, check_int, check_probability, fail
if TYPE_CHECKING:
    from autoassist.protocols import Assistant
from autoassist.selectors.base import Decision, Selector


# accept the instances predicted above the mean (the paper), those below it, or the latter until switch_fraction
PREFER = ("hard", "easy", "easy-then-hard")


def needs_total_steps(options: dict[str, Any]) -> bool:
    """Whether AutoAssist options act at a fraction of a known budget (``anneal_fraction``, or ``prefer=
    "easy-then-hard"``), so that ``total_steps`` must be given (a benchmark passes its run's own budget)."""
    return bool(options.get("anneal_fraction")) or options.get("prefer") == "easy-then-hard"


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
        prefer: str = "hard",
        switch_fraction: float = 0.5,
    ) -> None:
        self.assistant = assistant
        options = self.check_options(base_prob=base_prob, unbiased=unbiased, warmup_instances=warmup_instances,
                                     anneal_fraction=anneal_fraction, total_steps=total_steps,
                                     accept_first_pass=accept_first_pass, adaptive_base=adaptive_base,
                                     prefer=prefer, switch_fraction=switch_fraction)
        self.prefer: str = options["prefer"]
        self.accept_first_pass: bool = options["accept_first_pass"]
        self.adaptive_base: bool = options["adaptive_base"]
        self._pass = -1
        self.base_prob: float = options["base_prob"]
        self.unbiased: bool = options["unbiased"]
        self.normalize_weights = self.unbiased
        self.warmup_instances: int = options["warmup_instances"]
        self.anneal_fraction: float = options["anneal_fraction"]
        self.total_steps: int | None = options["total_steps"]
        self.switch_fraction: float = options["switch_fraction"]
        self._step = 0

    @staticmethod
    def check_options(*, base_prob: float, unbiased: bool, warmup_instances: int, anneal_fraction: float,
                      total_steps: int | None, accept_first_pass: bool, adaptive_base: bool, prefer: str,
                      switch_fraction: float) -> dict[str, Any]:
        """The options checked and normalised (cheap: ``AutoAssist`` calls it before it builds the Assistant)."""
        total = None if total_steps is None else check_int(
            "total_steps", total_steps, minimum=1,
            fix="It is the run's budget of Boss steps (epochs * steps_per_epoch), for anneal_fraction and "
                "easy-then-hard; leave it None without them.")
        prefer = check_choice("prefer", prefer, PREFER,
                              fix="'hard' (the default, the paper's) favours the instances the Assistant predicts "
                                  "above the mean loss, 'easy' those below it, 'easy-then-hard' the easy ones until "
                                  "switch_fraction of total_steps.")
        options: dict[str, Any] = {
            "prefer": prefer,
            "accept_first_pass": check_bool("accept_first_pass", accept_first_pass),
            "adaptive_base": check_bool("adaptive_base", adaptive_base),
            "base_prob": check_probability("base_prob", base_prob,
                                           fix="It is the acceptance probability floor: in [0, 1], 0.3 by default "
                                               "(the paper's for images); 1 accepts everything."),
            "unbiased": check_bool("unbiased", unbiased),
            "warmup_instances": check_int("warmup_instances", warmup_instances, minimum=0,
                                          fix="It is how many instances the Assistant learns from before it selects "
                                              "(everything is accepted until then): 0 (the default) or more, e.g. "
                                              "one epoch's worth."),
            "anneal_fraction": check_probability("anneal_fraction", anneal_fraction,
                                                 fix="It is the last fraction of total_steps in which everything is "
                                                     "accepted: in [0, 1], 0 (off) by default, e.g. 0.1."),
            "total_steps": total,
            "switch_fraction": check_probability("switch_fraction", switch_fraction,
                                                 fix="It is the fraction of total_steps after which "
                                                     "prefer='easy-then-hard' turns to the hard instances: in [0, 1], "
                                                     "0.5 by default."),
        }
        if options["anneal_fraction"] > 0 and total is None:
            raise fail("total_steps", "set when anneal_fraction > 0", None,
                       "Annealing accepts everything in the last fraction of a known budget: pass total_steps.")
        if options["prefer"] == "easy-then-hard" and total is None:
            raise fail("total_steps", 'set when prefer="easy-then-hard"', None,
                       "The choice switches at switch_fraction of a known budget: pass total_steps.")
        return options

    def bind(self, num_instances: int) -> None:
        super().bind(num_instances)
        features = getattr(self.assistant, "features", None)
        if features is not None and len(features) != num_instances:
            raise fail("features", f"one row per instance ({num_instances} rows, the dataset's length)",
                       f"{len(features)} rows", "Build the features from the same training set.")

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

    def rule_changes(self) -> tuple[int, ...]:
        """The steps the rule changes at: the anneal's first, the first of easy-then-hard's hard part."""
        return tuple(step for step in (self._anneal_start(), self._hard_start()) if step is not None)

    def _anneal_start(self) -> int | None:
        """The first step that accepts everything (``anneal_fraction`` of ``total_steps`` before the end)."""
        if self.anneal_fraction > 0 and self.total_steps is not None:
            return math.ceil((1.0 - self.anneal_fraction) * self.total_steps)
        return None

    def _hard_start(self) -> int | None:
        """The first step of easy-then-hard that prefers the hard instances."""
        if self.prefer == "easy-then-hard" and self.total_steps is not None:
            return math.ceil(self.switch_fraction * self.total_steps)
        return None

    def _accept_all(self) -> bool:
        if self.accept_first_pass and self._pass <= 0:
            return True
        if self.assistant.instances_seen < self.warmup_instances:
            return True
        anneal = self._anneal_start()
        return anneal is not None and self._step >= anneal

    def _prefers_easy(self) -> bool:
        hard = self._hard_start()
        if hard is not None:
            return self._step < hard
        return self.prefer == "easy"

    def decide(self, indices: np.ndarray) -> Decision:
        n = len(indices)
        if self._accept_all():
            return Decision(np.ones(n), np.ones(n))
        informative = self.assistant.score(indices)
        if self._prefers_easy():
            informative = 1.0 - np.asarray(informative, dtype=np.float64)
        prob = acceptance_probability(informative, self.current_base_prob())
        # a candidate of probability 0 is never accepted: it needs no weight (1 / 0 is none)
        weight = np.divide(1.0, prob, out=np.zeros(n), where=prob > 0.0) if self.unbiased else np.ones(n)
        return Decision(prob, weight)

    def observe(self, indices: np.ndarray, losses: np.ndarray) -> None:
        self.assistant.learn(indices, losses)

    def state_dict(self) -> dict[str, Any]:
        return {"assistant": self.assistant.state_dict(), "step": self._step, "pass": self._pass}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.assistant.load_state_dict(state["assistant"])
        self._step = int(state["step"])
        self._pass = int(state["pass"])

    def stats(self) -> dict[str, float]:
        return self.assistant.stats()
