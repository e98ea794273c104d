"""Where the Assistant's class labels come from, and that losing them is said, never silent."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from autoassist import AutoAssist
from autoassist._errors import ParameterTypeError


# 3. report refuses a boolean mask as it refuses other non-indices

@pytest.mark.parametrize("mask", [lambda: torch.ones(10, dtype=torch.bool), lambda: np.ones(10, dtype=bool),
                                  lambda: [True] * 10])
def test_report_refuses_a_boolean_mask(mask: Any) -> None:
    assist = AutoAssist(TensorDataset(torch.randn(100, 4), torch.arange(100) % 2), batch_size=10,
                        asynchronous=False)
    next(iter(assist.loader()))
    before = assist.stats()
    with pytest.raises(ParameterTypeError, match="got a boolean mask. Report the idx"):
        assist.report(mask(), torch.rand(10))
    assert assist.stats() == before
