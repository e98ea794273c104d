"""Random: accept each candidate with a fixed probability ``keep_rate`` (weight one).

Use::

    selector = RandomSelector(keep_rate=0.6)        # e.g. the keep rate AutoAssist reached
    batches = BatchGenerator(selector, len(train_set), batch_size=128)

It is the control that shows whether *choosing* matters at all: a method that only beats uniform
training because it back-propagates fewer instances per pass (or sees a different number of
candidates) will not beat a random selector run at the same keep rate. Suggested setting: the
keep rate another method reached in the same benchmark (``BatchGenerator.stats()["keep_rate"]``).

Cost model: nothing beyond the batch generator's own coins; no forward pass, no state.

Not from a paper: the standard ablation (e.g. the random baselines of Selective Backprop,
Jiang et al. 2019, and InfoBatch, Qin et al. 2024).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autoassist._errors import check_probability, fail
from autoassist.selectors.base import Decision, Selector


def random_keep_probability(num_candidates: int, keep_rate: float) -> np.ndarray:
    """Acceptance probability of each of ``num_candidates`` candidates: ``keep_rate`` for all."""
    return np.full(int(num_candidates), float(keep_rate), dtype=np.float64)


class RandomSelector(Selector):
    """Stream selector: accepts every candidate with probability ``keep_rate``, weight one.

    Args:
        keep_rate: the probability q of accepting a candidate, in (0, 1]. ``keep_rate=1`` is uniform.
    """

    name = "random"
    learns = False

    def __init__(self, keep_rate: float) -> None:
        self.keep_rate = check_probability("keep_rate", keep_rate, fix="Pass for example keep_rate=0.5.")
        if self.keep_rate == 0.0:
            raise fail("keep_rate", "in (0, 1]", keep_rate,
                       "A keep rate of 0 accepts nothing and the batch generator would never fill a batch.")

    def decide(self, indices: np.ndarray) -> Decision:
        n = len(indices)
        return Decision(random_keep_probability(n, self.keep_rate), np.ones(n, dtype=np.float64))

    def state_dict(self) -> dict[str, Any]:
        return {"keep_rate": self.keep_rate}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if float(state["keep_rate"]) != self.keep_rate:
            raise fail("state['keep_rate']", f"this selector's keep_rate ({self.keep_rate})", state["keep_rate"],
                       "Build the RandomSelector with the saved keep_rate before loading its state.")

    def stats(self) -> dict[str, float]:
        return {"random_keep_rate": self.keep_rate}
