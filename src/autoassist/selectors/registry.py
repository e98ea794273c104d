"""Build a selector by name: ``make_selector("infobatch", num_passes=30)``.

Names: ``SELECTOR_NAMES``. AutoAssist is not built here: it needs a feature matrix and an
Assistant (see :class:`~autoassist.selectors.autoassist.AutoAssistSelector`).
"""

from __future__ import annotations

from typing import Any, Callable

from autoassist._errors import ParameterTypeError, fail
from autoassist.selectors.base import Selector
from autoassist.selectors.importance import ImportanceSelector
from autoassist.selectors.infobatch import InfoBatchSelector
from autoassist.selectors.oracle import OracleSelector
from autoassist.selectors.random import RandomSelector
from autoassist.selectors.selective_backprop import SelectiveBackpropSelector
from autoassist.selectors.uniform import UniformSelector

_FACTORIES: dict[str, Callable[..., Selector]] = {
    "uniform": UniformSelector,
    "random": RandomSelector,
    "infobatch": InfoBatchSelector,
    "selective_backprop": SelectiveBackpropSelector,
    "importance": ImportanceSelector,
    "oracle": OracleSelector,
}

SELECTOR_NAMES: tuple[str, ...] = tuple(_FACTORIES)


def make_selector(name: str, **kwargs: Any) -> Selector:
    """Build the selector ``name`` with its keyword arguments (e.g. ``keep_rate`` for "random")."""
    if name == "autoassist":
        raise fail("name", "one of " + ", ".join(SELECTOR_NAMES), "'autoassist'",
                   "AutoAssist needs features and an Assistant: build AutoAssistSelector(LinearAssistant(...)).")
    if name not in _FACTORIES:
        raise fail("name", "one of " + ", ".join(SELECTOR_NAMES), repr(name))
    try:
        return _FACTORIES[name](**kwargs)
    except TypeError as error:
        if isinstance(error, ParameterTypeError):
            raise
        raise ParameterTypeError(f"make_selector({name!r}, ...): {error}. See {_FACTORIES[name].__name__}'s "
                                 "docstring for its arguments.") from None
