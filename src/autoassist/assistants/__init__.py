"""Assistants: lightweight models that predict whether an instance is still informative for the Boss.

Every Assistant follows :class:`autoassist.protocols.Assistant` (``score``, ``learn``, state).
"""

from autoassist.assistants.linear import LinearAssistant
from autoassist.assistants.loss_history import LossHistoryAssistant

__all__ = ["LinearAssistant", "LossHistoryAssistant"]
