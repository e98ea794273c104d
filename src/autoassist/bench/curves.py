"""A run's curve: what both benchmarks measure at each evaluation, and the times read off it.

One :class:`Curve` serves the image and the translation benchmark. Its score column is named by
``metric`` (``test_accuracy`` or ``val_bleu``) in the JSON; the columns only one benchmark measures
(``forward_instances``; ``target_tokens``, ``assistant_accuracy``, ``train_loss``) are declared as
``extra`` when the curve is made, and every point must give exactly them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Curve:
    """Boss steps, training wall time, instances back-propagated, score, keep rate and learning rate per point."""

    metric: str  # the score's name in results.json: test_accuracy or val_bleu
    extra: dict[str, list[Any]] = field(default_factory=dict)  # name -> column, fixed when made
    step: list[int] = field(default_factory=list)
    wall_time_s: list[float] = field(default_factory=list)
    backprop_instances: list[int] = field(default_factory=list)
    score: list[float] = field(default_factory=list)
    keep_rate: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)

    @classmethod
    def with_columns(cls, metric: str, *extra: str) -> Curve:
        return cls(metric, {name: [] for name in extra})

    def add(self, *, step: int, wall_time_s: float, backprop_instances: int, score: float, keep_rate: float,
            lr: float, **extra: Any) -> None:
        """Append one point; ``extra`` must name exactly the curve's extra columns."""
        if set(extra) != set(self.extra):
            raise TypeError(f"Curve.add takes the extra columns {sorted(self.extra)}; got {sorted(extra)}")
        self.step.append(step)
        self.wall_time_s.append(wall_time_s)
        self.backprop_instances.append(backprop_instances)
        self.score.append(score)
        self.keep_rate.append(keep_rate)
        self.lr.append(lr)
        for name, value in extra.items():
            self.extra[name].append(value)

    def as_dict(self) -> dict[str, list[Any]]:
        """The columns as results.json stores them: the score under ``metric``, the extra columns after."""
        return {"step": list(self.step), "wall_time_s": list(self.wall_time_s),
                "backprop_instances": list(self.backprop_instances), self.metric: list(self.score),
                "keep_rate": list(self.keep_rate), "lr": list(self.lr),
                **{name: list(column) for name, column in self.extra.items()}}


def time_to_target(curve: dict[str, list[Any]], target: float, axis: str = "wall_time_s",
                   metric: str = "test_accuracy") -> float | None:
    """First value of ``axis`` at which the curve's ``metric`` reaches ``target`` (None if never)."""
    for score, value in zip(curve[metric], curve[axis]):
        if score >= target:
            return float(value)
    return None


def time_to_stay(curve: dict[str, list[Any]], target: float, axis: str = "wall_time_s",
                 metric: str = "test_accuracy") -> float | None:
    """First value of ``axis`` from which the curve's ``metric`` stays at or above ``target`` to the end."""
    result = None
    for score, value in zip(reversed(curve[metric]), reversed(curve[axis])):
        if score < target:
            break
        result = float(value)
    return result
