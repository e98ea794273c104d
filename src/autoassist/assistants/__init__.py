"""Assistant models: lightweight predictors of which instances are still informative for the Boss."""

from autoassist.assistants.history import HistoryAssistant
from autoassist.assistants.linear import LinearAssistant

__all__ = ["HistoryAssistant", "LinearAssistant"]
