"""Assistant models: lightweight predictors of which instances are still informative for the Boss."""

from autoassist.assistants.linear import LinearAssistant

__all__ = ["LinearAssistant"]
