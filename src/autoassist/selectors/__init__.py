"""Selectors: the rules that turn what a method knows into accept/reject decisions and loss weights."""

from autoassist.selectors.autoassist import AutoAssistSelector, acceptance_probability
from autoassist.selectors.base import Decision, Selector
from autoassist.selectors.forward import ForwardFilter
from autoassist.selectors.importance import ImportanceSelector
from autoassist.selectors.infobatch import InfoBatchSelector
from autoassist.selectors.oracle import OracleSelector
from autoassist.selectors.random import RandomSelector
from autoassist.selectors.registry import SELECTOR_NAMES, make_selector
from autoassist.selectors.selective_backprop import SelectiveBackpropSelector
from autoassist.selectors.uniform import UniformSelector

__all__ = [
    "AutoAssistSelector",
    "Decision",
    "ForwardFilter",
    "ImportanceSelector",
    "InfoBatchSelector",
    "OracleSelector",
    "RandomSelector",
    "SELECTOR_NAMES",
    "Selector",
    "SelectiveBackpropSelector",
    "UniformSelector",
    "acceptance_probability",
    "make_selector",
]
