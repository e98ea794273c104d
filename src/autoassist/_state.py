"""Saved state as tensors and Python primitives only, so that ``torch.load(path)`` reads it.

PyTorch's default ``torch.load(..., weights_only=True)`` refuses numpy arrays. Every ``state_dict``
of this package goes through :func:`to_saveable` (numpy arrays become tensors, numpy scalars
become Python numbers) and every ``load_state_dict`` through :func:`from_saved` (tensors become
numpy arrays again).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


def to_saveable(value: Any) -> Any:
    """Recursively convert numpy arrays to tensors (copies) and numpy scalars to Python numbers."""
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value).copy())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: to_saveable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_saveable(v) for v in value)
    return value


def from_saved(value: Any) -> Any:
    """Recursively convert tensors back to numpy arrays (copies); everything else is returned as is."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy().copy()
    if isinstance(value, dict):
        return {k: from_saved(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(from_saved(v) for v in value)
    return value


def states_equal(a: Any, b: Any) -> bool:
    """Whether two saved states are equal: same keys and lengths, arrays and tensors equal element-wise."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(states_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(states_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, (torch.Tensor, np.ndarray)):
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    return bool(a == b)
