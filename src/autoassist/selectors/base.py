"""The selector interface: how every method turns what it knows into accept/reject decisions.

A selector never draws its own acceptance coins: it returns, for each candidate instance, the
probability of accepting it and the loss weight it gets if accepted. The batch generator
(:mod:`autoassist.sampler`) or the forward filter (:mod:`autoassist.selectors.forward`) draws the coins from
its own seeded stream, so that every method is compared on the same candidate stream.

Two kinds of selector exist:

* **stream selectors** (``needs_boss_losses = False``) decide from what they already know (the
  Assistant's prediction, a stale loss table, a fixed rate). They run off the Boss's critical
  path, inside the batch generator, and never load a rejected instance.
* **forward selectors** (``needs_boss_losses = True``: Selective Backprop, the oracle) decide from
  the Boss's *current* losses on a candidate batch, which costs a no-grad forward pass. The
  training loop feeds those losses to :class:`~autoassist.selectors.forward.ForwardFilter`, which
  accumulates accepted instances into full batches.

Every selector learns from **feedback** (``observe(indices, losses)``: the per-instance losses of
one Boss step, detached, on the CPU) and can be saved and restored (``state_dict``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from autoassist._errors import fail


class Decision(NamedTuple):
    """Per-candidate acceptance probability and loss weight (both float64 arrays of shape (n,))."""

    accept_prob: np.ndarray
    weight: np.ndarray


def checked_decision(decision: Decision, n: int, selector: Any) -> tuple[np.ndarray, np.ndarray]:
    """A selector's decision on ``n`` candidates as float64 ``(accept_prob, weight)``, or an error naming it: one
    probability in [0, 1] and one finite, non-negative weight per candidate."""
    prob, weight = (np.asarray(v, dtype=np.float64) for v in decision)
    who = f"{type(selector).__name__}'s decision"
    if prob.shape != (n,) or weight.shape != (n,):
        raise fail(who, f"one probability and one weight per candidate, shape ({n},)",
                   f"shapes {prob.shape} and {weight.shape}", "Return a Decision of arrays as long as the candidates.")
    if not (np.all(prob >= -1e-9) and np.all(prob <= 1.0 + 1e-9)):  # NaN fails both; rounding is no error
        raise fail(who, "acceptance probabilities in [0, 1]", f"values from {np.nanmin(prob)} to {np.nanmax(prob)}"
                   + (" and NaN" if np.isnan(prob).any() else ""), "Clip the probabilities to [0, 1].")
    if not (np.all(np.isfinite(weight)) and np.all(weight >= 0.0)):
        raise fail(who, "finite, non-negative loss weights", f"{int((~(weight >= 0) | ~np.isfinite(weight)).sum())} "
                   "others", "Return weights >= 0 (ones when the selector does not weight instances).")
    return prob, weight


def normalized(weights: np.ndarray, selector: Any) -> np.ndarray:
    """A batch's loss weights divided by their mean (``normalize_weights``), or an error when they sum to zero."""
    mean = float(weights.mean()) if len(weights) else 0.0
    if mean <= 0.0:
        raise fail(f"{type(selector).__name__}'s loss weights", "of a positive mean over a batch (normalize_weights)",
                   "all zero", "Give every accepted instance a positive weight.")
    return weights / mean


def candidate_losses(indices: np.ndarray, losses: np.ndarray) -> np.ndarray:
    """Forward selectors' input check: ``losses`` as float64 of shape ``(len(indices),)``."""
    losses = np.asarray(losses, dtype=np.float64)
    if losses.ndim != 1 or len(losses) != len(indices):
        raise fail("losses", f"per-instance losses of shape ({len(indices)},)", f"shape {losses.shape}",
                   'Compute the candidates\' losses with reduction="none".')
    return losses


def ones_decision(n: int) -> Decision:
    """Accept every candidate with weight one."""
    return Decision(np.ones(n, dtype=np.float64), np.ones(n, dtype=np.float64))


class Selector:
    """Base class of every selector. Subclasses override what they need.

    Attributes:
        name: short identifier used in results and plots.
        needs_boss_losses: True for forward selectors (see the module docstring).
        normalize_weights: if True the batch generator rescales each batch's weights to mean one.
        learns: False for selectors that ignore feedback (uniform, random): no warning without reports.
        free_scoring: benchmarks treat the forward selector's scoring pass as free (the oracle).
    """

    name: str = "selector"
    needs_boss_losses: bool = False
    normalize_weights: bool = False
    free_scoring: bool = False
    learns: bool = True

    def bind(self, num_instances: int) -> None:
        """Called once by the batch generator with the dataset size before anything else."""
        self.num_instances = int(num_instances)

    def begin_pass(self, pass_index: int) -> None:
        """Called when the candidate stream starts pass ``pass_index`` (0, 1, 2, ...)."""

    def set_step(self, step: int) -> None:
        """Called before each batch is assembled with its step, at which the candidates decided now begin to
        be trained."""

    def rule_changes(self) -> tuple[int, ...]:
        """Steps at which the rule changes (AutoAssist's anneal, its easy-then-hard switch): a pool batcher
        cuts its pools short of them, so that no pool is decided by the rule of the wrong side."""
        return ()

    def candidates(self, pass_index: int, rng: np.random.Generator) -> np.ndarray | None:
        """The candidate order of one pass, or None for the default: a fresh permutation of all instances.

        Importance sampling overrides this to draw N instances with replacement. ``rng`` is private to
        this pass, derived from ``(seed, pass_index)``.
        """
        return None

    def decide(self, indices: np.ndarray) -> Decision:
        """Stream selectors: acceptance probability and weight of each candidate in ``indices``."""
        return ones_decision(len(indices))

    def decide_from_losses(self, indices: np.ndarray, losses: np.ndarray) -> Decision:
        """Forward selectors: decide from the Boss's current per-instance ``losses`` of the candidates."""
        raise NotImplementedError(f"{type(self).__name__} is not a forward selector")

    def observe(self, indices: np.ndarray, losses: np.ndarray) -> None:
        """Learn from one feedback batch: int64 ``indices`` and finite float64 ``losses`` of shape (B,)."""

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly where this selector is."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""

    def stats(self) -> dict[str, float]:
        """Selector-specific statistics a user may log (e.g. the Assistant's accuracy)."""
        return {}
