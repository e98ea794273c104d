"""Several processes: every rank's Assistant learns the feedback of the whole global batch.

Under ``torchrun`` / DistributedDataParallel every rank walks the same candidate stream and
assembles the same global batch, of which it trains on its own slice (:mod:`autoassist.sampler`).
For the ranks to keep making the same decisions, every rank's selector must learn the same
feedback: :class:`FeedbackExchange` gathers each step's per-instance ``(indices, losses)`` from
all ranks and returns them concatenated in rank order, so every rank learns exactly what one
process training on the global batch would learn. torch.distributed is the engine; nothing here
is a communication layer of its own.

Use: nothing, in the usual case. ``AutoAssist`` installs an exchange by itself when a process group
is initialised (``torchrun`` + ``dist.init_process_group``), and takes ``rank`` and ``world_size``
from it. Construct ``AutoAssist`` on every rank (creating the exchange is a collective).

How, and what it costs:

* A dedicated **gloo** group (``dist.new_group(backend="gloo")``), beside whatever the default
  group is (NCCL on GPUs): feedback lives on the CPU, and DDP's own collectives never mix with ours.
* The exchange runs on the batch generator's worker thread, off the Boss's critical path, as soon as
  a step's feedback is final; the Boss waits for it only if it falls ``lag`` steps behind.
* Per step: one ``all_gather`` of ``[step, size, indices, losses]`` (int64; the float64 losses
  bit-cast), padded to the largest batch seen so far: ``16 * batch_size + 16`` bytes per rank.
  Batches may have unequal sizes (token-bounded batches, an unreported step's empty feedback); a
  batch larger than any before costs a second ``all_gather`` once. ``stats()["exchange_ms_per_step"]``
  reports the time per step, which includes waiting for the slowest rank to report.
* A rank whose step number differs from the others' (a loop that reports differently on one rank)
  raises at once instead of mixing steps; so does a rank that stops (the end of its epoch, a saved
  state) with the feedback of other steps final than the others' (:meth:`FeedbackExchange.agree`).
* **No hang forever**: the group has a ``timeout`` (default 30 minutes, torch's own default for
  gloo); a rank that died or stopped training makes the others' exchange raise after it, and the
  error surfaces on the Boss's thread at the next batch.
"""

from __future__ import annotations

import datetime
import time
from typing import Any, Callable

import numpy as np
import torch

from autoassist._errors import ParameterError, ParameterTypeError, check_float, fail

DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)


class RanksDisagree(RuntimeError):
    """The ranks reported different batches, or were built with different settings."""


def process_group_ready() -> bool:
    """Whether torch.distributed is available and a default process group is initialised."""
    return bool(torch.distributed.is_available() and torch.distributed.is_initialized())


class FeedbackExchange:
    """Gathers every rank's feedback of a step, in rank order, over a dedicated gloo group.

    Args:
        timeout: how long a collective may wait for the other ranks before it raises (a
            ``datetime.timedelta`` or seconds). Keep it longer than the longest pause of any rank
            between two steps (evaluation, checkpointing on rank 0).
        width: the batch size to expect (AutoAssist passes its ``batch_size``); larger batches work too.
        group: an existing process group to use instead of a new gloo group (it must be able to
            all-gather CPU tensors; never DDP's own group, which another thread uses).

    Creating it is a collective (``dist.new_group``): every rank creates its exchange at the same point.
    """

    def __init__(self, *, timeout: datetime.timedelta | float = DEFAULT_TIMEOUT, group: Any = None,
                 width: int = 0) -> None:
        if not process_group_ready():
            raise fail("torch.distributed", "initialised before a FeedbackExchange is created", "no process group",
                       "Call torch.distributed.init_process_group(...) first (torchrun sets the environment).")
        dist = torch.distributed
        if not isinstance(timeout, datetime.timedelta):
            timeout = datetime.timedelta(seconds=check_float("timeout", timeout, positive=True))
        self.timeout = timeout
        self.group = group if group is not None else dist.new_group(backend="gloo", timeout=timeout)
        self.rank = dist.get_rank(self.group)
        self.world_size = dist.get_world_size(self.group)
        self.width = int(width)
        self.seconds = 0.0
        self.calls = 0

    def __call__(self, step: int, indices: np.ndarray, losses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All ranks' feedback of ``step``: ``(indices, losses)`` concatenated in rank order.

        One ``all_gather`` of ``[step, size, indices, losses]`` padded to a width every rank knows
        (the largest batch seen so far); a batch larger than that costs one more ``all_gather``
        once, after which the width grows for every rank alike.
        """
        idx = torch.from_numpy(np.ascontiguousarray(indices, dtype=np.int64))
        loss = torch.from_numpy(np.ascontiguousarray(losses, dtype=np.float64))
        if len(idx) != len(loss):
            raise fail("losses", f"of the same length as indices ({len(idx)})", len(loss))
        start = time.perf_counter()
        width = self.width
        gathered = self._gather(self._pack(step, idx, loss, width))
        self._check_steps(gathered, step)
        sizes = [int(g[1]) for g in gathered]
        if max(sizes) > width:  # someone's batch did not fit: all ranks see it and gather again, wider
            width = self.width = max(sizes)
            gathered = self._gather(self._pack(step, idx, loss, width))
        all_idx = torch.cat([g[2: 2 + n] for g, n in zip(gathered, sizes)])
        all_loss = torch.cat([g[2 + width: 2 + width + n] for g, n in zip(gathered, sizes)]).view(torch.float64)
        self.seconds += time.perf_counter() - start
        self.calls += 1
        return all_idx.numpy().copy(), all_loss.numpy().copy()

    def agree(self, final_steps: int) -> None:
        """Every rank stops with the feedback of the same steps exchanged (``final_steps`` of them), or all raise.

        A collective with the payload of a step's exchange, so a rank that stops while another still
        exchanges a step (it reported a batch this rank did not) meets it, and both raise at once
        instead of one waiting for the timeout.
        """
        gathered = self._gather(self._pack(-1 - int(final_steps), torch.zeros(0, dtype=torch.int64),
                                           torch.zeros(0, dtype=torch.float64), self.width))
        self._check_steps(gathered, -1 - int(final_steps))

    @staticmethod
    def _check_steps(gathered: list[torch.Tensor], mine: int) -> None:
        """Raise unless every rank sent the same step (an exchange) or the same count of final steps (agree)."""
        steps = [int(g[0]) for g in gathered]
        if all(s == mine for s in steps):
            return
        said = "; ".join(f"rank {r} " + (f"exchanges the feedback of step {s}" if s >= 0 else
                                         f"stops with the feedback of {-1 - s} steps final")
                         for r, s in enumerate(steps))
        raise RanksDisagree(f"the ranks' feedback differs ({said}): every rank must iterate and report the same "
                            "batches (call report() for every batch on every rank, the same way), and call "
                            "state_dict() on every rank at the same step (rank 0 alone saves it).")

    @staticmethod
    def _pack(step: int, idx: torch.Tensor, loss: torch.Tensor, width: int) -> torch.Tensor:
        payload = torch.zeros(2 + 2 * width, dtype=torch.int64)
        payload[0], payload[1] = int(step), len(idx)
        n = min(len(idx), width)
        payload[2: 2 + n] = idx[:n]
        payload[2 + width: 2 + width + n] = loss[:n].view(torch.int64)
        return payload

    def _gather(self, payload: torch.Tensor) -> list[torch.Tensor]:
        out = [torch.empty_like(payload) for _ in range(self.world_size)]
        torch.distributed.all_gather(out, payload, group=self.group)
        return out

    def gather_objects(self, obj: Any) -> list[Any]:
        """Every rank's ``obj`` (picklable), in rank order: a collective on the exchange's group."""
        out: list[Any] = [None] * self.world_size
        torch.distributed.all_gather_object(out, obj, group=self.group)
        return out

    def barrier(self) -> None:
        """Wait for every rank (on the exchange's group, so it honours its timeout)."""
        torch.distributed.barrier(group=self.group)


def scalar_settings(obj: Any) -> dict[str, Any]:
    """An object's scalar attributes (numbers, strings, flags): at construction, its settings, which every rank must
    share (a selector's base_prob, an Assistant's lr, ...)."""
    return {k: v for k, v in vars(obj).items() if isinstance(v, (bool, int, float, str))} if hasattr(obj, "__dict__") \
        else {}


def check_same_on_every_rank(gather: Callable[[Any], list[Any]], mine: dict[str, Any], fix: str,
                             subject: str | None = None) -> None:
    """Gather every rank's ``mine`` (a collective) and raise, on every rank, naming each setting that differs and its
    value on each rank; ``subject`` names them together (default: the settings' names)."""
    every = gather(mine)
    differ = [k for k in mine if any(other.get(k) != mine[k] for other in every)]
    if differ:
        said = "; ".join(f"{k} {[other.get(k) for other in every]}" for k in differ)
        raise ParameterError(f"{subject or ', '.join(differ)} must be the same on every rank (each rank trains its "
                             f"slice of the same global batch); got, by rank: {said}. {fix}")


def resolve(rank: int | None, world_size: int | None, exchange: "FeedbackExchange | bool | None",
            batch_size: int = 0) -> tuple[int, int, FeedbackExchange | None]:
    """``AutoAssist``'s rule: (rank, world_size, exchange) from the arguments and the process group.

    * ``exchange=None`` (default): with an initialised process group of more than one rank, rank
      and world_size default to the group's (given ones must match it) and an exchange is created;
      without one, ``rank=0, world_size=1`` by default and no exchange.
    * ``exchange=True``: like None, but a process group is required.
    * ``exchange=False``: never exchange (each rank's selector learns its own feedback only).
    * a :class:`FeedbackExchange`: used as it is; rank and world_size default to its own.
    """
    if isinstance(exchange, FeedbackExchange):
        return (exchange.rank if rank is None else rank, exchange.world_size if world_size is None else world_size,
                exchange)
    if exchange is not None and not isinstance(exchange, bool):
        raise ParameterTypeError(f"exchange must be None, True, False or a FeedbackExchange; got "
                                 f"{type(exchange).__name__}.")
    ready = process_group_ready()
    if exchange is True and not ready:
        raise fail("exchange", "used with an initialised torch.distributed process group", True,
                   "Call torch.distributed.init_process_group(...) before AutoAssist, or drop exchange=True.")
    if not ready:
        return (0 if rank is None else rank), (1 if world_size is None else world_size), None
    dist = torch.distributed
    group_rank, group_size = dist.get_rank(), dist.get_world_size()
    for name, given, actual in (("rank", rank, group_rank), ("world_size", world_size, group_size)):
        if given is not None and given != actual and exchange is not False:
            raise fail(name, f"the process group's {name} ({actual})", given,
                       f"Drop {name}= (AutoAssist takes it from the process group), or pass exchange=False to "
                       f"shard by hand without exchanging feedback.")
    rank = group_rank if rank is None else rank
    world_size = group_size if world_size is None else world_size
    if exchange is False or world_size == 1:
        return rank, world_size, None
    return rank, world_size, FeedbackExchange(width=batch_size)
