"""The candidate stream: an endless walk over passes of the training set, with acceptance coins.

Pass ``p``'s order is the selector's (importance sampling draws with replacement) or a permutation
drawn from ``(seed, p)``; its acceptance coins are drawn from ``(seed, p, 1)``. The stream is global:
under DDP every rank walks the same one (the batch generator shards accepted batches, not
candidates), so every rank makes the same decisions a single process would.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autoassist._errors import fail
from autoassist.selectors.base import Selector


class CandidateStream:
    """Hands out the next candidates of the stream and their coins, starting passes as needed."""

    def __init__(self, selector: Selector, num_instances: int, seed: int) -> None:
        self.selector = selector
        self.num_instances = num_instances
        self.seed = seed
        self.pass_index = -1
        self.order = np.empty(0, dtype=np.int64)
        self.coins = np.empty(0, dtype=np.float64)
        self.pos = 0

    @property
    def position(self) -> float:
        """Passes walked so far, fractional (0.5: half-way through the first pass)."""
        if self.pass_index < 0:
            return 0.0
        return self.pass_index + self.pos / max(1, len(self.order))

    @property
    def pass_done(self) -> bool:
        """Whether the current pass has been walked to its end."""
        return self.pass_index >= 0 and self.pos >= len(self.order)

    def take(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to ``count`` next candidates (never crossing a pass boundary) and their coins."""
        if self.pos >= len(self.order):
            self._start_pass()
        end = min(self.pos + count, len(self.order))
        chunk, coins = self.order[self.pos:end], self.coins[self.pos:end]
        self.pos = end
        return chunk, coins

    def _start_pass(self) -> None:
        self.pass_index += 1
        self.selector.begin_pass(self.pass_index)
        rng = np.random.default_rng([self.seed, self.pass_index])
        order = self.selector.candidates(self.pass_index, rng)
        if order is None:
            order = rng.permutation(self.num_instances)
        self.order = np.asarray(order, dtype=np.int64)
        if len(self.order) == 0:
            raise fail("selector.candidates", "a non-empty candidate order", "an empty one")
        self.coins = np.random.default_rng([self.seed, self.pass_index, 1]).random(len(self.order))
        self.pos = 0

    def state_dict(self) -> dict[str, Any]:
        return {"pass": self.pass_index, "order": self.order.copy(), "coins": self.coins.copy(), "pos": self.pos}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.pass_index = int(state["pass"])
        self.order = np.asarray(state["order"], dtype=np.int64).copy()
        self.coins = np.asarray(state["coins"], dtype=np.float64).copy()
        self.pos = int(state["pos"])
