from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset


@pytest.fixture
def planted() -> TensorDataset:
    """300 instances, 8 features, 3 classes; a fixed seed."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(300, 8, generator=g)
    y = torch.randint(0, 3, (300,), generator=g)
    return TensorDataset(x, y)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
