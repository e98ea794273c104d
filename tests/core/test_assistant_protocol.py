"""An Assistant of one's own: what the protocol asks is said in full when something is missing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from autoassist import AutoAssist


class _Uncounted:
    """Everything an Assistant needs but ``instances_seen``."""

    def score(self, indices: np.ndarray) -> np.ndarray:
        return np.full(len(indices), 0.5)

    def learn(self, indices: np.ndarray, losses: np.ndarray) -> None:
        pass

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass

    def stats(self) -> dict[str, float]:
        return {}


def test_an_assistant_without_instances_seen_is_told_what_it_lacks() -> None:
    data = TensorDataset(torch.randn(20, 3), torch.randint(0, 2, (20,)))
    with pytest.raises(TypeError, match=r"an object with instances_seen, score, .*; got _Uncounted, which lacks "
                                        r"instances_seen\."):
        AutoAssist(data, batch_size=4, assistant=_Uncounted())
