"""Importance sampling: how the next instance is chosen when not by a permutation (``_random``).

Importance sampling draws instance ``i`` with probability ``p_i`` and multiplies its data term
by ``1 / (n p_i)``, so the expected step equals the full gradient at the moment the
probabilities were computed (once per pass). ``p_i`` mixes the scores with the uniform
distribution (``mix``), so no instance has probability 0 and no weight exceeds ``1 / mix``.
"""

from __future__ import annotations

import numpy as np

from autoassist.linear import _kernels as K


def importance_probabilities(
    margins: np.ndarray, xnorms: np.ndarray, *, by: str, loss: int, mix: float
) -> np.ndarray:
    """Sampling probabilities from each instance's loss (``by="loss"``) or gradient norm."""
    slack = np.maximum(0.0, 1.0 - margins)
    if by == "loss":
        scores = slack if loss == K.HINGE else slack * slack
    else:
        scores = xnorms * (slack > 0) if loss == K.HINGE else 2.0 * slack * xnorms
    n = margins.shape[0]
    total = float(scores.sum())
    if total <= 0.0:
        return np.full(n, 1.0 / n)
    return (1.0 - mix) * scores / total + mix / n


class AliasTable:
    """Draw indices with given probabilities in O(1) each (Vose's alias method)."""

    def __init__(self, probs: np.ndarray) -> None:
        probs = np.asarray(probs, dtype=np.float64)
        self.n = probs.shape[0]
        self.prob = np.ones(self.n)
        self.alias = np.arange(self.n, dtype=np.int64)
        K.build_alias(probs / probs.sum(), self.prob, self.alias)

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        column = rng.integers(0, self.n, size=size)
        keep = rng.random(size) < self.prob[column]
        return np.where(keep, column, self.alias[column]).astype(np.int64)


def importance_draws(rng: np.random.Generator, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A pass of ``len(probs)`` draws with replacement and their data-term weights ``1 / (n p_i)``."""
    n = probs.shape[0]
    order = AliasTable(probs).draw(rng, n)
    return order, 1.0 / (n * probs[order])
