"""What every benchmark run measures the same way, image or translation.

* :func:`timed_batches`: the batches of ``assist.loader()``, pass after pass, each fetch timed; the
  Boss's wait for the batch generator is counted as selection time, the rest as data time.
* :func:`step_summary`: the Boss's median step time and the training-loss guard against divergence
  (first and largest loss; ``spiked`` when a later loss exceeds ``SPIKE_FACTOR`` times the first).
"""

from __future__ import annotations

import time
from typing import Any, Callable, Generator, Iterable, Protocol

import numpy as np

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


def step_summary(step_times: list[float], losses: list[float]) -> dict[str, Any]:
    """``boss_step_median_ms``, ``first_train_loss``, ``max_train_loss`` and ``spiked`` of a run's record."""
    return {
        "boss_step_median_ms": 1000 * float(np.median(step_times)) if step_times else None,
        "first_train_loss": losses[0] if losses else None,
        "max_train_loss": max(losses) if losses else None,
        "spiked": bool(losses and max(losses[1:] or [0.0]) > SPIKE_FACTOR * losses[0]),
    }
