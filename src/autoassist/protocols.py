"""The protocols that connect the parts: Assistant, stream selector, forward selector.

Anything that has these methods can be plugged in (``AutoAssist(..., selector=...)``,
``AutoAssistSelector(assistant)``); :class:`~autoassist.selectors.base.Selector` is a base class
with the defaults.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

from autoassist.selectors.base import Decision


@runtime_checkable
class Assistant(Protocol):
    """Predicts, for instances by index, the probability that each is informative for the Boss."""

    instances_seen: int

    def score(self, indices: np.ndarray) -> np.ndarray:
        """Probability in [0, 1] that each instance's loss is above the Boss's running mean (float64)."""
        ...

    def learn(self, indices: np.ndarray, losses: np.ndarray) -> Any:
        """Learn from one feedback batch: int64 ``indices`` and finite float64 ``losses`` of shape (B,)."""
        ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...

    def stats(self) -> dict[str, float]: ...


@runtime_checkable
class StreamSelector(Protocol):
    """Decides from what it already knows; runs inside the batch generator, off the Boss's path."""

    name: str
    needs_boss_losses: bool  # False
    normalize_weights: bool

    def bind(self, num_instances: int) -> None: ...

    def begin_pass(self, pass_index: int) -> None: ...

    def set_step(self, step: int) -> None: ...

    def rule_changes(self) -> tuple[int, ...]: ...

    def candidates(self, pass_index: int, rng: np.random.Generator) -> np.ndarray | None: ...

    def decide(self, indices: np.ndarray) -> Decision: ...

    def observe(self, indices: np.ndarray, losses: np.ndarray) -> None: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...

    def stats(self) -> dict[str, float]: ...


@runtime_checkable
class ForwardSelector(Protocol):
    """Decides from the Boss's current losses on a candidate batch (a no-grad forward pass)."""

    name: str
    needs_boss_losses: bool  # True
    normalize_weights: bool

    def decide_from_losses(self, indices: np.ndarray, losses: np.ndarray) -> Decision: ...

    def observe(self, indices: np.ndarray, losses: np.ndarray) -> None: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...

    def stats(self) -> dict[str, float]: ...
