"""The steps of a benchmark run, the same for the image and the translation runner.

* :func:`timed_batches`: the batches of ``assist.loader()``, pass after pass, each fetch timed; the
  Boss's wait for the batch generator is counted as selection time, the rest as data time.
* :func:`boss_update`: one optimiser step on a loss, the gradient norm clipped when asked.
* :func:`split_step_time`: a Boss step's forward and update time to the Boss, its ``report`` to selection.
* :func:`step_summary`: the Boss's median step time and the training-loss guard against divergence
  (first and largest loss; ``spiked`` when a later loss exceeds ``SPIKE_FACTOR`` times the first).
"""

from __future__ import annotations

import time
from typing import Any, Callable, Generator, Iterable, Protocol

import numpy as np
import torch
from torch import nn

SPIKE_FACTOR = 1.5


class _Stats(Protocol):
    def stats(self) -> dict[str, Any]: ...


def timed_batches(assist: _Stats, loader: Iterable[tuple[Any, Any]], move: Callable[[Any], Any],
                  timers: dict[str, float]) -> Generator[tuple[Any, Any, float], None, None]:
    """Yield ``(idx, batch, seconds)`` from ``loader`` forever (a new pass when one ends).

    ``move`` puts the batch on the Boss's device, inside the timed fetch. ``seconds`` is the fetch's
    wall time; of it, the time ``assist`` reports as the Boss's wait goes to ``timers["selection"]``
    and the rest to ``timers["data"]``. Close the generator before closing ``assist``.
    """
    while True:
        iterator = iter(loader)
        while True:
            wait0 = assist.stats()["wait_seconds"]
            t0 = time.perf_counter()
            try:
                idx, batch = next(iterator)
            except StopIteration:
                break
            batch = move(batch)
            t1 = time.perf_counter()
            waited = assist.stats()["wait_seconds"] - wait0
            timers["selection"] += waited
            timers["data"] += (t1 - t0) - waited
            yield idx, batch, t1 - t0
        del iterator


def boss_update(model: nn.Module, opt: torch.optim.Optimizer, loss: torch.Tensor,
                clip_grad_norm: float | None) -> None:
    """Back-propagate ``loss`` and take one step of ``opt`` (gradient norm clipped to ``clip_grad_norm`` if set)."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if clip_grad_norm:
        nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
    opt.step()


def split_step_time(timers: dict[str, float], step_times: list[float], t1: float, t2: float, t3: float,
                    t4: float) -> float:
    """Book one Boss step timed at t1 (start), t2 (losses computed), t3 (``report`` done), t4 (update done).

    The forward (t1 to t2) and the update (t3 to t4) go to ``timers["boss"]`` and ``step_times``, the
    report to ``timers["selection"]``; returns the step's wall time, t4 - t1.
    """
    timers["selection"] += t3 - t2
    timers["boss"] += (t2 - t1) + (t4 - t3)
    step_times.append((t2 - t1) + (t4 - t3))
    return t4 - t1


def step_summary(step_times: list[float], losses: list[float]) -> dict[str, Any]:
    """``boss_step_median_ms``, ``first_train_loss``, ``max_train_loss`` and ``spiked`` of a run's record."""
    return {
        "boss_step_median_ms": 1000 * float(np.median(step_times)) if step_times else None,
        "first_train_loss": losses[0] if losses else None,
        "max_train_loss": max(losses) if losses else None,
        "spiked": bool(losses and max(losses[1:] or [0.0]) > SPIKE_FACTOR * losses[0]),
    }
