"""Uniform: every candidate of the shuffled stream is accepted with weight one (plain training).

It is the baseline every method must beat, and through the same batch generator it yields exactly
the permutation stream a shuffled DataLoader would (batches continue across pass boundaries).
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
