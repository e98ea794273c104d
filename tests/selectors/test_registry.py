from __future__ import annotations

from typing import Any

import pytest

from autoassist._errors import ParameterError, ParameterTypeError
from autoassist.selectors import SELECTOR_NAMES, InfoBatchSelector, RandomSelector, make_selector


def test_builds_every_name() -> None:
    kwargs: dict[str, dict[str, Any]] = {"random": {"keep_rate": 0.5}, "infobatch": {"num_passes": 10}}
    for name in SELECTOR_NAMES:
        assert make_selector(name, **kwargs.get(name, {})).name == name
    assert isinstance(make_selector("random", keep_rate=0.2), RandomSelector)
    assert make_selector("infobatch", num_passes=4, prune_ratio=0.3).prune_ratio == 0.3  # type: ignore[attr-defined]
    assert isinstance(make_selector("infobatch", num_passes=4), InfoBatchSelector)


def test_errors_list_the_valid_names() -> None:
    with pytest.raises(ParameterError, match="selective_backprop"):
        make_selector("bogus")
    with pytest.raises(ParameterError, match="Assistant"):
        make_selector("autoassist")
    with pytest.raises(ParameterTypeError, match="InfoBatchSelector"):
        make_selector("infobatch", num_passes=3, bogus=1)
