"""autoassist: spend gradient computation only on the training instances that still teach the model.

Glossary (one vocabulary in code, docs and output):

- **Boss**: the user's model being trained; its per-instance losses are all the rest learns from.
- **instance**: one training example, identified by its integer index in the training set.
- **feedback**: ``(indices, losses)`` of one Boss step, per instance, detached, on the CPU.
- **Assistant**: a lightweight model predicting the probability that an instance is informative
  (its loss above the Boss's running mean loss); it learns online from feedback.
- **selector**: the rule turning scores into accept/reject decisions and loss weights.
- **batch generator**: walks a shuffled endless stream of candidates, asks the selector, and yields
  full batches of accepted indices.
- **pass**: one walk over all N candidates. **step**: one Boss update on one batch.
- **keep rate**: accepted / scanned candidates.
"""

from autoassist.assist import TRANSLATION_RULES, AutoAssist
from autoassist.assistants.linear import LinearAssistant
from autoassist.assistants.loss_history import LossHistoryAssistant
from autoassist.data.indexed import IndexedDataset
from autoassist.distributed import FeedbackExchange
from autoassist.features import InstanceFeatures, build_features
from autoassist.protocols import Assistant, ForwardSelector, StreamSelector
from autoassist.sampler import BatchGenerator
from autoassist.selectors.autoassist import AutoAssistSelector
from autoassist.selectors.base import Decision, Selector
from autoassist.selectors.forward import ForwardFilter
from autoassist.selectors.uniform import UniformSelector

__version__ = "0.1.0"

__all__ = [
    "Assistant",
    "AutoAssist",
    "AutoAssistSelector",
    "BatchGenerator",
    "Decision",
    "FeedbackExchange",
    "ForwardFilter",
    "ForwardSelector",
    "IndexedDataset",
    "InstanceFeatures",
    "LinearAssistant",
    "LossHistoryAssistant",
    "Selector",
    "StreamSelector",
    "TRANSLATION_RULES",
    "UniformSelector",
    "build_features",
]
