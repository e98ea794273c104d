"""Batchers: turn a stream of accepted instances (with their loss weights) into Boss batches.

A batcher never drops an accepted instance: what does not fit the current batch is carried to the
next one. :class:`CountBatcher` makes batches of a fixed number of instances; a token-bounded
batcher (sequences) fills the same interface.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np


class CountBatcher:
    """Batches of exactly ``size`` accepted instances, in acceptance order."""

    def __init__(self, size: int) -> None:
        self.size = int(size)
        self._idx = np.empty(0, dtype=np.int64)
        self._w = np.empty(0, dtype=np.float64)

    def missing(self) -> int:
        """How many more accepted instances the next batch needs (0: a batch is ready)."""
        return max(0, self.size - len(self._idx))

    def add(self, indices: np.ndarray, weights: np.ndarray) -> None:
        """Append accepted instances and their loss weights."""
        self._idx = np.concatenate([self._idx, np.asarray(indices, dtype=np.int64)])
        self._w = np.concatenate([self._w, np.asarray(weights, dtype=np.float64)])

    def pop(self) -> tuple[np.ndarray, np.ndarray]:
        """The next full batch ``(indices, weights)``; the caller checks ``missing() == 0`` first."""
        idx, self._idx = self._idx[: self.size], self._idx[self.size:]
        w, self._w = self._w[: self.size], self._w[self.size:]
        return idx, w

    def state_dict(self) -> dict[str, Any]:
        return {"indices": self._idx.copy(), "weights": self._w.copy()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._idx = np.asarray(state["indices"], dtype=np.int64).copy()
        self._w = np.asarray(state["weights"], dtype=np.float64).copy()


class Batch:
    """One Boss step's batch: its global step number, this rank's instances and loss weights.

    The weights travel with the batch from the moment the selector decides it; ``report`` hands
    them back with the loss to back-propagate. Under DDP the batch also keeps the global batch
    (all ranks' instances) it is a slice of, so that one rank's saved state serves every rank.
    """

    __slots__ = ("step", "indices", "weights", "position", "global_indices", "global_weights")

    def __init__(self, step: int, indices: np.ndarray, weights: np.ndarray, position: float,
                 global_indices: np.ndarray | None = None, global_weights: np.ndarray | None = None) -> None:
        self.step = int(step)
        self.indices = indices
        self.weights = weights
        self.position = float(position)
        self.global_indices = indices if global_indices is None else global_indices
        self.global_weights = weights if global_weights is None else global_weights

    def to_global_state(self) -> dict[str, Any]:
        """The global batch (every rank's slice), from which :meth:`from_global_state` takes a rank's."""
        return {"step": self.step, "indices": self.global_indices.copy(), "weights": self.global_weights.copy(),
                "position": self.position}

    @classmethod
    def from_global_state(cls, state: dict[str, Any], shard: Callable[[np.ndarray], slice]) -> "Batch":
        indices = np.asarray(state["indices"], dtype=np.int64).copy()
        weights = np.asarray(state["weights"], dtype=np.float64).copy()
        part = shard(indices)
        return cls(int(state["step"]), indices[part].copy(), weights[part].copy(), float(state["position"]),
                   indices, weights)

    def to_state(self) -> dict[str, Any]:
        return {"step": self.step, "indices": self.indices.copy(), "weights": self.weights.copy(),
                "position": self.position}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "Batch":
        return cls(int(state["step"]), np.asarray(state["indices"], dtype=np.int64).copy(),
                   np.asarray(state["weights"], dtype=np.float64).copy(), float(state["position"]))
