"""Method specifications for the benchmarks: ``name[:key=value,...]`` strings, e.g. ``autoassist:base_prob=0.5``.

Every variant a benchmark compares is one such string; its label in results is the string itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autoassist._errors import fail
from autoassist.assistants.history import HistoryAssistant
from autoassist.assistants.linear import LinearAssistant
from autoassist.features import InstanceFeatures, pool_inputs, standardize
from autoassist.selectors.autoassist import AutoAssistSelector
from autoassist.selectors.base import Selector

METHOD_NAMES = ("uniform", "random", "autoassist", "infobatch", "selective_backprop", "importance", "oracle")
_ASSISTANT_KEYS = ("lr", "l2", "mean_decay", "history", "history_lr")
_AUTOASSIST_KEYS = ("base_prob", "unbiased", "warmup_instances", "anneal_fraction")
_FEATURE_KEYS = ("max_feature_dim",)


@dataclass(frozen=True)
class MethodSpec:
    name: str
    options: dict[str, Any] = field(default_factory=dict)
    label: str = ""


def _parse_value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_options(spec: str, what: str = "method") -> MethodSpec:
    """Split ``name[:key=value,...]`` into a name and typed options."""
    name, _, rest = spec.strip().partition(":")
    options: dict[str, Any] = {}
    for part in filter(None, rest.split(",")):
        key, eq, value = part.partition("=")
        if not eq or not key:
            raise fail(what, "options written as key=value separated by commas", spec,
                       "For example autoassist:base_prob=0.5,unbiased=true.")
        options[key.strip()] = _parse_value(value.strip())
    return MethodSpec(name, options, spec.strip())


def parse_method(spec: str) -> MethodSpec:
    """Parse ``name[:key=value,...]``; raise a clear error for unknown names or malformed options."""
    parsed = parse_options(spec)
    if parsed.name not in METHOD_NAMES:
        raise fail("method", "one of " + ", ".join(METHOD_NAMES) + " (optionally with :key=value,...)", spec)
    return parsed


_FEATURE_CACHE: dict[tuple[int, int], InstanceFeatures] = {}


def features_for(data: Any, max_dim: int = 1024) -> InstanceFeatures:
    """The Assistant's feature matrix for a dataset's training split, built once per ``Splits`` object."""
    key = (id(data), int(max_dim))
    if key not in _FEATURE_CACHE:
        raw = getattr(data, "raw_train", None)
        source = raw if raw is not None else data.x_train
        matrix = standardize(pool_inputs(np.asarray(source, dtype=np.float32), max_dim))
        labels = data.y_train.cpu().numpy().astype(np.int64)
        if len(_FEATURE_CACHE) >= 2:
            _FEATURE_CACHE.clear()
        _FEATURE_CACHE[key] = InstanceFeatures(matrix, labels, int(data.num_classes))
    return _FEATURE_CACHE[key]


def build_selector(method: MethodSpec, data: Any, *, total_steps: int, num_passes: float | None,
                   seed: int) -> Selector:
    """A fresh selector for one run."""
    opts = dict(method.options)
    if method.name == "autoassist":
        unknown = set(opts) - set(_ASSISTANT_KEYS) - set(_AUTOASSIST_KEYS) - set(_FEATURE_KEYS)
        if unknown:
            raise fail("method", f"autoassist options among {_ASSISTANT_KEYS + _AUTOASSIST_KEYS + _FEATURE_KEYS}",
                       sorted(unknown))
        features = features_for(data, int(opts.pop("max_feature_dim", 1024)))
        assistant_opts = {k: opts.pop(k) for k in _ASSISTANT_KEYS if k in opts}
        if assistant_opts.pop("history", False):
            assistant: LinearAssistant = HistoryAssistant(features, **assistant_opts)
        else:
            assistant_opts.pop("history_lr", None)
            assistant = LinearAssistant(features, **assistant_opts)
        if opts.get("anneal_fraction"):
            opts["total_steps"] = total_steps
        return AutoAssistSelector(assistant, **opts)
    from autoassist.selectors.registry import make_selector

    if method.name == "infobatch":
        if num_passes is None:
            raise fail("protocol", "passes (InfoBatch prunes whole passes, so it needs their number)", "budget",
                       "Run InfoBatch in the fixed-number-of-passes protocol.")
        opts.setdefault("num_passes", int(round(num_passes)))
        opts.setdefault("seed", seed)
    try:
        return make_selector(method.name, **opts)
    except TypeError as error:
        raise fail("method", f"valid options for {method.name}", method.label, str(error)) from None
