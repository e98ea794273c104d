"""InfoBatch (Qin et al., ICLR 2024, "InfoBatch: Lossless Training Speed Up by Unbiased Dynamic Data
Pruning"): each pass, randomly prune part of the instances whose last loss is below the mean.

Use::

    assist = AutoAssist(train_set, batch_size=128,
                        selector=InfoBatchSelector(num_passes=30, prune_ratio=0.5, delta=0.875, seed=0))
    while assist.stats()["position"] < 30:       # a run of num_passes passes (pruned passes are shorter)
        for idx, (x, y) in assist.loader():
            loss = assist.report(idx, F.cross_entropy(model(x), y, reduction="none"))  # weighted mean
            opt.zero_grad(); loss.backward(); opt.step()
            if assist.stats()["position"] >= 30:
                break

The rule, for pass ``p`` (0-based) of a run of ``num_passes`` passes:

* a table holds each instance's last observed loss (filled by feedback); an instance never
  observed counts as "keep", so the first pass keeps everything;
* while ``p < delta * num_passes``, i.e. for ``p < ceil(delta * num_passes)`` (computed exactly
  from the decimal ``delta``, so ``0.7 * 10`` is 7, not 7.000000000000001), every observed
  instance whose loss is below the mean over observed instances is dropped with probability
  ``prune_ratio`` (r) and, if kept, gets loss weight ``1 / (1 - r)`` (rescaling keeps the
  expected gradient of the low-loss group unchanged); every other instance has weight 1;
* from pass ``ceil(delta * num_passes)`` on, every instance is used with weight exactly 1
  ("annealing": the last ``1 - delta`` of the run trains on the full data, removing the residual
  bias of stale scores). With ``delta * num_passes`` whole this is exactly the last
  ``(1 - delta) * num_passes`` passes; otherwise the pruned passes are rounded up, as in the
  reference code's ``pass < delta * num_passes`` test.

The drop decision of each instance is drawn once per pass in :meth:`begin_pass`, from a private
generator derived from ``(seed, pass)``; :meth:`decide` then returns accept probability 1 or 0,
so the batch generator's coins keep exactly the instances that were not pruned (the pure core
:func:`infobatch_prune` is testable with given coins). Pruned passes are therefore shorter: a
run of a fixed number of passes makes fewer Boss steps. ``stats()`` reports the fraction pruned
this pass and the pass length (instances kept).

Suggested settings (the paper's): ``prune_ratio=0.5``, ``delta=0.875``. The batch generator
carries up to ``batch_size - 1`` accepted instances over a pass boundary: those keep the weight
of the pass that accepted them.

Cost model: one O(N) comparison and N coins per pass, an O(B) table write per feedback batch;
no forward pass beyond the Boss's own. Differences from the reference code: no global RNG is
(re)seeded, nothing is patched at import time, and weights always return to exactly 1 at the
full-data switch, also when ``delta * num_passes`` is not a whole number.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from autoassist._errors import check_int, check_probability, fail
from autoassist.selectors.base import Decision, Selector


def infobatch_prune(
    scores: np.ndarray, observed: np.ndarray, prune_ratio: float, coins: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One pass of InfoBatch pruning: returns ``(keep, weight)``, a bool and a float64 array of shape (N,).

    An instance is *low* if it is observed and its score is below the mean score of the observed
    instances; a low instance is dropped if its coin (uniform in [0, 1)) is below ``prune_ratio``,
    and a kept low instance gets weight ``1 / (1 - prune_ratio)``. Everything else: kept, weight 1.
    """
    scores = np.asarray(scores, dtype=np.float64)
    observed = np.asarray(observed, dtype=bool)
    weight = np.ones(len(scores), dtype=np.float64)
    if not observed.any() or prune_ratio == 0.0:
        return np.ones(len(scores), dtype=bool), weight
    low = observed & (scores < scores[observed].mean())
    keep = ~(low & (np.asarray(coins) < prune_ratio))
    weight[low & keep] = 1.0 / (1.0 - prune_ratio)
    return keep, weight


def first_full_pass(delta: float, num_passes: int) -> int:
    """The first pass that uses all data: ``ceil(delta * num_passes)``, computed on the decimal ``delta``."""
    return math.ceil(Fraction(repr(float(delta))) * int(num_passes))


class InfoBatchSelector(Selector):
    """Stream selector: per-pass random pruning of low-loss instances with rescaled weights.

    Args:
        num_passes: the total number of passes of the run (needed to place the full-data switch).
        prune_ratio: r, the probability of dropping a low-loss instance, in [0, 1).
        delta: the fraction of the run that prunes, in [0, 1]; the rest uses all data.
        seed: seed of the private pruning generator (derived from ``(seed, pass)``).
    """

    name = "infobatch"

    def __init__(self, num_passes: int, *, prune_ratio: float = 0.5, delta: float = 0.875, seed: int = 0) -> None:
        self.num_passes = check_int("num_passes", num_passes, minimum=1,
                                    fix="Pass the total number of passes of the run, e.g. num_passes=30.")
        self.prune_ratio = check_probability("prune_ratio", prune_ratio, fix="The paper uses prune_ratio=0.5.")
        if self.prune_ratio >= 1.0:
            raise fail("prune_ratio", "in [0, 1)", prune_ratio,
                       "Kept low-loss instances get weight 1/(1 - prune_ratio): use for example 0.5.")
        self.delta = check_probability("delta", delta, fix="The paper uses delta=0.875.")
        self.seed = check_int("seed", seed, minimum=0, fix="Use a non-negative seed, e.g. seed=0.")
        self.full_from_pass = first_full_pass(self.delta, self.num_passes)
        self._pass = -1
        self.bind(0)

    def bind(self, num_instances: int) -> None:
        super().bind(num_instances)
        self._scores = np.zeros(self.num_instances, dtype=np.float64)
        self._observed = np.zeros(self.num_instances, dtype=bool)
        self._keep = np.ones(self.num_instances, dtype=bool)
        self._weight = np.ones(self.num_instances, dtype=np.float64)

    def prunes(self, pass_index: int) -> bool:
        """Whether pass ``pass_index`` prunes (``pass_index < ceil(delta * num_passes)``)."""
        return pass_index < self.full_from_pass

    def begin_pass(self, pass_index: int) -> None:
        self._pass = int(pass_index)
        n = self.num_instances
        if not self.prunes(self._pass):
            self._keep, self._weight = np.ones(n, dtype=bool), np.ones(n, dtype=np.float64)
            return
        coins = np.random.default_rng([self.seed, self._pass, 0x1FB]).random(n)
        self._keep, self._weight = infobatch_prune(self._scores, self._observed, self.prune_ratio, coins)

    def decide(self, indices: np.ndarray) -> Decision:
        indices = np.asarray(indices, dtype=np.int64)
        return Decision(self._keep[indices].astype(np.float64), self._weight[indices].copy())

    def observe(self, indices: np.ndarray, losses: np.ndarray) -> None:
        self._scores[indices] = losses
        self._observed[indices] = True

    def pass_length(self) -> int:
        """Instances the current pass keeps (N before the first pass)."""
        return int(self._keep.sum())

    def state_dict(self) -> dict[str, Any]:
        return {"pass": self._pass, "scores": self._scores.copy(), "observed": self._observed.copy(),
                "keep": self._keep.copy(), "weight": self._weight.copy()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if len(state["scores"]) != self.num_instances:
            raise fail("state['scores']", f"of length {self.num_instances} (this dataset's size)",
                       len(state["scores"]), "Restore into a selector bound to the same training set.")
        self._pass = int(state["pass"])
        self._scores = np.asarray(state["scores"], dtype=np.float64).copy()
        self._observed = np.asarray(state["observed"], dtype=bool).copy()
        self._keep = np.asarray(state["keep"], dtype=bool).copy()
        self._weight = np.asarray(state["weight"], dtype=np.float64).copy()

    def stats(self) -> dict[str, float]:
        n = len(self._keep)
        return {"infobatch_pruned_fraction": 1.0 - self.pass_length() / n if n else 0.0,
                "infobatch_pass_length": float(self.pass_length()),
                "infobatch_full_data": float(not self.prunes(max(self._pass, 0)))}
