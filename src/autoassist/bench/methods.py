"""Method specifications for the benchmarks: ``name[:key=value,...]`` strings, e.g. ``autoassist:base_prob=0.5``.

Every variant a benchmark compares is one such string; its label in results is the string itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autoassist._errors import fail
from torch.utils.data import TensorDataset

from autoassist.assist import ASSISTANTS, ASSISTANTS_MEAN
from autoassist.assistants.linear import LinearAssistant
from autoassist.assistants.loss_history import LossHistoryAssistant
from autoassist.features import InstanceFeatures, build_features
from autoassist.selectors.autoassist import needs_total_steps
from autoassist.selectors.base import Selector

METHOD_NAMES = ("uniform", "random", "autoassist", "infobatch", "selective_backprop", "importance", "oracle")
# What each name means (shown by `autoassist bench image --help`).
METHOD_HELP = {
    "uniform": "plain shuffled training (the baseline)",
    "random": "accept each candidate with probability keep_rate (random:keep_rate=0.5)",
    "autoassist": "AutoAssist() as users get it: the loss-history Assistant; autoassist:assistant=paper is the "
                  "paper's Assistant exactly, autoassist:assistant=loss-only uses no raw features",
    "infobatch": "InfoBatch (passes protocol only)",
    "selective_backprop": "Selective Backprop (a no-grad forward on every candidate)",
    "importance": "importance sampling by stale loss, unbiased weights",
    "oracle": "AutoAssist's rule with the true current losses, scoring free (a diagnosis; "
              "translation: oracle:threshold_scale=0.5 skips only losses below half the threshold, "
              "oracle:easiest=0.16 marks the easiest 0.16 of each pool informative instead of the hard ones)",
}
_AUTOASSIST_KEYS = ("assistant", "base_prob", "unbiased", "warmup_instances", "anneal_fraction", "lr", "l2",
                    "mean_decay", "history_lr", "max_feature_dim", "prefer", "switch_fraction")


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


def parse_options(spec: str, what: str = "--methods") -> MethodSpec:
    """Split ``name[:key=value,...]`` into a name and typed options."""
    name, _, rest = spec.strip().partition(":")
    options: dict[str, Any] = {}
    for part in filter(None, rest.split(",")):
        key, eq, value = part.partition("=")
        if not eq or not key:
            raise fail(what, "options written as key=value separated by commas", spec,
                       "For example autoassist:base_prob=0.5,unbiased=true.")
        if key.strip() in options:
            raise fail(what, "options with each key once", spec, f"Give {key.strip()}= once.")
        options[key.strip()] = _parse_value(value.strip())
    return MethodSpec(name, options, spec.strip())


def same_meaning(spec: str) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """What a spec says, whatever its spelling: ``random:keep_rate=.5``, ``random:keep_rate=0.5`` are one
    method, and so are ``uniform`` and ``uniform:``, ``lr=1`` and ``lr=1.0``."""
    parsed = parse_options(spec)
    return parsed.name, tuple(sorted((key, repr(float(value) if isinstance(value, int) and not isinstance(value, bool)
                                                  else value)) for key, value in parsed.options.items()))


def meaning_or_spelling(spec: Any) -> Any:
    """:func:`same_meaning` of ``spec``, or ``spec`` as written where it does not parse (its own check names the
    fault later): what tells two specs of a list apart."""
    try:
        return same_meaning(spec)
    except (ValueError, AttributeError):
        return spec


def parse_method(spec: str) -> MethodSpec:
    """Parse ``name[:key=value,...]``; raise a clear error for unknown names or malformed options."""
    parsed = parse_options(spec)
    if parsed.name not in METHOD_NAMES:
        raise fail("--methods", "each one of " + ", ".join(METHOD_NAMES) + " (optionally with :key=value,...)", spec,
                   "See the list in --help.")
    return parsed


# keyed by the Splits object's id; each entry keeps that object alive, so its id cannot be reused by another one
_FEATURE_CACHE: dict[tuple[int, int], tuple[Any, InstanceFeatures]] = {}


def features_for(data: Any, max_dim: int = 1024) -> InstanceFeatures:
    """The Assistant's feature matrix for a dataset's training split, built once per ``Splits`` object
    (with :func:`build_features`, as ``AutoAssist`` builds it, and reused by every run)."""
    key = (id(data), int(max_dim))
    if key not in _FEATURE_CACHE:
        if len(_FEATURE_CACHE) >= 2:
            _FEATURE_CACHE.clear()
        _FEATURE_CACHE[key] = (data, build_features(TensorDataset(data.x_train, data.y_train), max_dim=max_dim,
                                                    progress=False))
    return _FEATURE_CACHE[key][1]


def autoassist_kwargs(method: MethodSpec, data: Any, *, total_steps: int) -> dict[str, Any]:
    """Keyword arguments of ``AutoAssist`` for an ``autoassist[:key=value,...]`` spec."""
    opts = dict(method.options)
    if "history" in opts:
        raise fail("--methods", "written with assistant=..., not history=...", method.label,
                   "Use autoassist (the loss-history Assistant, the default) or autoassist:assistant=paper.")
    unknown = set(opts) - set(_AUTOASSIST_KEYS)
    if unknown:
        raise fail("--methods", f"autoassist options among {_AUTOASSIST_KEYS}", sorted(unknown))
    kind = str(opts.pop("assistant", "loss-history"))
    if kind not in ASSISTANTS:
        raise fail("--methods", f"autoassist:assistant=<{'|'.join(ASSISTANTS)}>", method.label, ASSISTANTS_MEAN)
    max_dim = int(opts.pop("max_feature_dim", 1024))
    extra = {k: opts.pop(k) for k in ("mean_decay", "history_lr") if k in opts}
    kwargs: dict[str, Any] = dict(opts)
    if kind == "loss-only":
        kwargs["assistant"] = "loss-only"
    else:
        kwargs["features"] = features_for(data, max_dim)
        kwargs["assistant"] = kind
    if extra:
        if kind == "loss-only":
            features = InstanceFeatures.labels_only(data.y_train.numpy().astype(np.int64), int(data.num_classes))
        else:
            features = kwargs.pop("features")
        if kind == "paper":
            extra.pop("history_lr", None)
        cls = LinearAssistant if kind == "paper" else LossHistoryAssistant
        kwargs["assistant"] = cls(features, lr=float(opts.get("lr", 0.01)), l2=float(opts.get("l2", 1e-3)), **extra)
        kwargs.pop("features", None)
    if needs_total_steps(kwargs):
        kwargs["total_steps"] = total_steps
    return kwargs


def build_selector(method: MethodSpec, data: Any, *, total_steps: int, num_passes: float | None,
                   seed: int) -> Selector:
    """A fresh selector for one run of a method other than AutoAssist (see :func:`autoassist_kwargs`)."""
    opts = dict(method.options)
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
        raise fail("--methods", f"valid options for {method.name}", method.label, str(error)) from None
