"""Uniform: every candidate of the shuffled stream is accepted with weight one (plain training).

It is the baseline every method must beat. Through the same batch generator each pass is a permutation,
as with a shuffled DataLoader, but batches continue across pass boundaries (no partial last batch): an epoch
of ``ceil(N / batch_size)`` steps takes a few instances of the next pass, and a batch at a boundary may hold
an instance twice, once from each pass.
"""

from __future__ import annotations

import numpy as np

from autoassist.selectors.base import Decision, Selector, ones_decision


class UniformSelector(Selector):
    """Accept everything."""

    name = "uniform"
    learns = False

    def decide(self, indices: np.ndarray) -> Decision:
        return ones_decision(len(indices))
