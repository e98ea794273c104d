"""Errors and input checks shared by every module.

Every message names the parameter, the rule, the value received and the fix, in the manner of
scikit-learn's parameter validation. Nothing is clamped or swallowed silently.
"""

from __future__ import annotations

import math
from typing import Any


class ParameterError(ValueError):
    """A parameter or argument breaks a documented rule."""


class ParameterTypeError(TypeError):
    """A parameter or argument has the wrong type."""


def fail(name: str, rule: str, value: Any, fix: str = "") -> ParameterError:
    """Build (not raise) the project's standard error: ``raise fail(...)``."""
    shown = value if isinstance(value, str) and len(value) < 80 else _short(value)
    message = f"{name} must be {rule}; got {shown}."
    if fix:
        message += f" {fix}"
    return ParameterError(message)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_int(name: str, value: Any, *, minimum: int | None = None, fix: str = "") -> int:
    """Return ``value`` as an int, checking its type and lower bound."""
    if isinstance(value, bool) or not isinstance(value, (int,)) and not _is_integral(value):
        raise ParameterTypeError(_with_fix(f"{name} must be an integer; got {_short(value)} of type "
                                           f"{type(value).__name__}.", fix))
    number = int(value)
    if minimum is not None and number < minimum:
        raise fail(name, f">= {minimum}", number, fix)
    return number


def _is_integral(value: Any) -> bool:
    try:
        import numpy as np

        return isinstance(value, np.integer)
    except ImportError:  # pragma: no cover
        return False


def check_probability(name: str, value: Any, *, fix: str = "") -> float:
    """Return ``value`` as a float in [0, 1]."""
    number = check_float(name, value, fix=fix)
    if not 0.0 <= number <= 1.0:
        raise fail(name, "in [0, 1]", number, fix or f"Pass a probability, for example {name}=0.3.")
    return number


def check_float(name: str, value: Any, *, positive: bool = False, nonnegative: bool = False, fix: str = "") -> float:
    """Return ``value`` as a finite float, optionally > 0 or >= 0."""
    if isinstance(value, (bool, str, bytes)):
        raise ParameterTypeError(_with_fix(f"{name} must be a number; got {value!r}.", fix))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParameterTypeError(_with_fix(f"{name} must be a number; got {_short(value)} of type "
                                           f"{type(value).__name__}.", fix)) from None
    if not math.isfinite(number):
        raise fail(name, "finite", number, fix)
    if positive and number <= 0:
        raise fail(name, "> 0", number, fix)
    if nonnegative and number < 0:
        raise fail(name, ">= 0", number, fix)
    return number


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` if it is True or False (a numpy bool too): a string such as "False" is refused, not read
    as true."""
    try:
        import numpy as np

        if isinstance(value, np.bool_):
            return bool(value)
    except ImportError:  # pragma: no cover
        pass
    if not isinstance(value, bool):
        raise ParameterTypeError(f"{name} must be True or False; got {_short(value)} of type {type(value).__name__}.")
    return value


def check_choice(name: str, value: Any, choices: tuple[str, ...], *, fix: str = "") -> str:
    """Return ``value`` if it is one of ``choices`` (``fix``: what they mean)."""
    if value not in choices:
        shown = repr(str(value)) if isinstance(value, str) else repr(value)  # np.str_('x') shown as 'x'
        raise fail(name, "one of " + ", ".join(repr(c) for c in choices), shown, fix)
    return str(value)


def _with_fix(message: str, fix: str) -> str:
    return f"{message} {fix}" if fix else message
