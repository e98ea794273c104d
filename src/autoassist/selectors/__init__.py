"""Selectors: the rules that turn what a method knows into accept/reject decisions and loss weights."""

from autoassist.selectors.autoassist import AutoAssistSelector, acceptance_probability
from autoassist.selectors.base import Decision, ForwardFilter, Selector
from autoassist.selectors.uniform import UniformSelector

__all__ = ["AutoAssistSelector", "Decision", "ForwardFilter", "Selector", "UniformSelector", "acceptance_probability"]
