"""What each process runs in the multi-process tests (spawned with torch.multiprocessing, gloo, CPU).

Losses are a fixed function of (instance, step), not of a model: the 2-process run and the
1-process run with the doubled batch then report bit-identical feedback, so their selections can
be compared exactly.
"""

from __future__ import annotations

import datetime
import os
import time
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import TensorDataset

from autoassist import AutoAssist
from autoassist.distributed import FeedbackExchange
from autoassist.selectors.importance import ImportanceSelector
from autoassist.selectors.infobatch import InfoBatchSelector
from autoassist.selectors.uniform import UniformSelector

N, BATCH, SEED, EPOCHS = 240, 8, 3, 2


def dataset() -> TensorDataset:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(N, 8, generator=g)
    y = torch.randint(0, 3, (N,), generator=g)
    return TensorDataset(x, y)


def fake_losses(idx: torch.Tensor, step: int) -> torch.Tensor:
    """A loss per instance that drifts with the step (what a Boss would report)."""
    base = ((idx * 7919) % 97).double() / 97.0
    return base * (1.0 + 0.5 * torch.cos(0.3 * step + 0.1 * idx.double()))


MAKERS: dict[str, Callable[[], dict[str, Any]]] = {
    "uniform": lambda: {"selector": UniformSelector()},
    "autoassist": lambda: {},
    "paper-unbiased": lambda: {"assistant": "paper", "unbiased": True},
    "infobatch": lambda: {"selector": InfoBatchSelector(num_passes=4, seed=1)},
    "importance": lambda: {"selector": ImportanceSelector(smoothing=0.2)},
}


def train(assist: AutoAssist, epochs: int, *, stop_after: int | None = None, start: int = 0
          ) -> tuple[list[list[int]], list[list[float]]]:
    """The loop: report fake losses; returns the batches and loss weights of every step."""
    steps: list[list[int]] = []
    weights: list[list[float]] = []
    step = start
    for _ in range(epochs):
        for idx, _batch in assist.loader():
            losses = fake_losses(idx, step)
            assist.report(idx, losses)
            steps.append(idx.tolist())
            weights.append(assist.batches.last_weights.tolist())
            step += 1
            if stop_after is not None and step == stop_after:
                return steps, weights
    return steps, weights


def run_all(world_size: int, batch_size: int) -> dict[str, Any]:
    """Every selector for EPOCHS epochs, asynchronous (the default) and inline.

    The selector's state after training is kept from the inline run: there the end of training is
    one fixed point of the schedule, while an asynchronous worker stops wherever it got to.
    """
    data = dataset()
    out: dict[str, Any] = {}
    for name, make in MAKERS.items():
        assist = AutoAssist(data, batch_size=batch_size, seed=SEED, **make())
        steps, weights = train(assist, EPOCHS)
        out[name] = {"steps": steps, "weights": weights, "stats": assist.stats(), "world_size": assist.world_size}
        assist.close()
        inline = AutoAssist(data, batch_size=batch_size, seed=SEED, asynchronous=False, **make())
        out[name]["inline_steps"], _ = train(inline, EPOCHS)
        out[name]["selector"] = inline.batches.selector.state_dict()
        out[name]["inline_stats"] = inline.stats()
    return out


LENGTHS = np.stack([np.random.default_rng(0).integers(1, 30, N), np.random.default_rng(1).integers(1, 30, N)], 1)


def run_fresh() -> dict[str, Any]:
    """Token batches decided as they are cut (fresh_decisions), the translation rules, asynchronous and inline."""
    from autoassist.assist import TRANSLATION_RULES

    out: dict[str, Any] = {}
    for mode, asynchronous in (("steps", True), ("inline_steps", False)):
        assist = AutoAssist(dataset(), max_tokens=120, lengths=LENGTHS, fresh_decisions=True, assistant="loss-only",
                            seed=SEED, asynchronous=asynchronous, **TRANSLATION_RULES)
        out[mode], _ = train(assist, 3)
        out["steps_per_epoch"] = assist.steps_per_epoch
        if not asynchronous:
            out["selector"] = assist.batches.selector.state_dict()
            out["stats"] = assist.stats()
        assist.close()
    return out


def resume(path: Path, rank: int) -> list[list[int]]:
    """1 epoch and 5 steps; rank 0 saves; every rank loads the file into a fresh AutoAssist and finishes."""
    data = dataset()
    assist = AutoAssist(data, batch_size=BATCH, seed=SEED)
    per_epoch = assist.steps_per_epoch
    head, _ = train(assist, EPOCHS, stop_after=per_epoch + 5)
    state = assist.state_dict()  # a collective
    if rank == 0:
        torch.save({"assist": state}, path)
    assist.close()
    dist.barrier()
    fresh = AutoAssist(data, batch_size=BATCH, seed=SEED)
    fresh.load_state_dict(torch.load(path)["assist"])
    tail, _ = train(fresh, 1, start=per_epoch + 5)
    fresh.close()
    return head + tail


def unequal_sizes(rank: int) -> list[tuple[list[int], list[float]]]:
    """Exchanges of batches of unequal sizes: empty, smaller and larger than the expected width."""
    exchange = FeedbackExchange(width=4)
    out = []
    for step, sizes in enumerate([(4, 4), (0, 3), (0, 0), (9, 2), (1, 7)]):
        n = sizes[rank]
        idx = np.arange(n, dtype=np.int64) + 100 * rank
        losses = np.linspace(0.0, 1.0, n) + rank
        got_idx, got_losses = exchange(step, idx, losses)
        out.append((got_idx.tolist(), got_losses.tolist()))
    return out


def forward_filter(batch_size: int) -> list[tuple[list[int], list[float]]]:
    """One epoch of the oracle through ForwardFilter, candidates from a uniform stream, feedback observed."""
    from autoassist.selectors import ForwardFilter, OracleSelector

    candidates = AutoAssist(dataset(), batch_size=batch_size, seed=SEED, selector=UniformSelector())
    filt = ForwardFilter(OracleSelector(base_prob=0.3), batch_size=batch_size, seed=SEED)
    trained: list[tuple[list[int], list[float]]] = []
    for step, (idx, _batch) in enumerate(candidates.loader()):
        for batch_idx, weights in filt.offer(idx, fake_losses(idx, step)):
            trained.append((batch_idx.tolist(), weights.tolist()))
            filt.observe(batch_idx, fake_losses(torch.as_tensor(batch_idx), step))
    candidates.close()
    return trained


def forward_filter_seed_per_rank(rank: int) -> str:
    """A ForwardFilter built with a seed per rank: every rank must refuse it (its coins would differ)."""
    from autoassist._errors import ParameterError
    from autoassist.selectors import ForwardFilter, OracleSelector

    try:
        ForwardFilter(OracleSelector(), batch_size=BATCH, seed=rank)
    except ParameterError as error:
        return str(error)
    return "accepted"


def forward_filter_skipped_observe(rank: int) -> str:
    """Rank 1 leaves one trained batch unobserved: its next offer met rank 0's observe, which counted as the same
    exchange step, and the ranks built different batches, then deadlocked. Every rank must raise at once."""
    from autoassist.selectors import ForwardFilter, OracleSelector

    wait = datetime.timedelta(seconds=20)  # a hang shows as >= 20 s, not as the default 30 minutes
    candidates = AutoAssist(dataset(), batch_size=BATCH, seed=SEED, selector=UniformSelector(),
                            exchange=FeedbackExchange(timeout=wait))
    filt = ForwardFilter(OracleSelector(base_prob=0.3), batch_size=BATCH, seed=SEED,
                         exchange=FeedbackExchange(timeout=wait))
    start, outcome = time.perf_counter(), "no error"
    try:
        for step, (idx, _batch) in enumerate(candidates.loader()):
            for batch_idx, _weights in filt.offer(idx, fake_losses(idx, step)):
                if not (rank == 1 and filt.handed == 2):
                    filt.observe(batch_idx, fake_losses(torch.as_tensor(batch_idx), step))
    except RuntimeError as error:
        outcome = f"{type(error).__name__}: {error}"
    candidates.close(after_error=True)
    return f"{outcome}|{time.perf_counter() - start:.1f}"


def options_per_rank(rank: int) -> str:
    """An Assistant option that differs by rank (base_prob here) would make the ranks decide otherwise."""
    try:
        AutoAssist(dataset(), batch_size=BATCH, seed=SEED, base_prob=0.3 + 0.2 * rank).close()
    except ValueError as error:
        return str(error)
    return "accepted"


def agreement(rank: int, world_size: int, folder: str) -> None:
    """The fast test's processes: unequal sizes, every selector, then save and resume."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{folder}/store", rank=rank, world_size=world_size)
    try:
        result: dict[str, Any] = {"unequal": unequal_sizes(rank)}
        result.update(run_all(world_size, BATCH))
        result["fresh"] = run_fresh()
        result["forward"] = forward_filter(BATCH)
        result["forward_seed_per_rank"] = forward_filter_seed_per_rank(rank)
        result["forward_skipped_observe"] = forward_filter_skipped_observe(rank)
        result["options_per_rank"] = options_per_rank(rank)
        result["resumed"] = resume(Path(folder) / "assist.pt", rank)
        torch.save(result, Path(folder) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def dead_rank(rank: int, world_size: int, folder: str) -> None:
    """Rank 1 stops training after 4 steps (but stays alive); rank 0 must get an error, not hang."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{folder}/store", rank=rank, world_size=world_size)
    assist = AutoAssist(dataset(), batch_size=BATCH, seed=SEED,
                        exchange=FeedbackExchange(timeout=datetime.timedelta(seconds=3)))
    start = time.perf_counter()
    outcome = "finished"
    try:
        train(assist, EPOCHS, stop_after=4 if rank == 1 else None)
        if rank == 1:
            time.sleep(8)  # alive, but no longer training
    except RuntimeError as error:
        outcome = f"error: {error!r} caused by {error.__cause__!r}"
    finally:
        assist.close(after_error=outcome != "finished")
    (Path(folder) / f"rank{rank}.txt").write_text(f"{outcome}\n{time.perf_counter() - start:.1f}")
    # no destroy_process_group: its barrier would wait for the other rank. The interpreter's own exit, with the
    # group alive, can abort in gloo's threads (SIGABRT, "terminate called without an active exception", once in
    # five runs on a busy machine): what is tested is written above, so leave at once.
    os._exit(0)


def skipped_report(rank: int, world_size: int, folder: str) -> None:
    """Rank 1 leaves the epoch's last batch unreported (asynchronous), then inline: both must raise, not hang."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{folder}/store", rank=rank, world_size=world_size)
    outcomes = []
    for asynchronous in (True, False):
        assist = AutoAssist(dataset(), batch_size=BATCH, seed=SEED, asynchronous=asynchronous,
                            exchange=FeedbackExchange(timeout=datetime.timedelta(seconds=20)))
        start = time.perf_counter()
        outcome = "finished"
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                for epoch in range(2):
                    for step, (idx, _batch) in enumerate(assist.loader()):
                        if not (rank == 1 and epoch == 0 and step == assist.steps_per_epoch - 1):
                            assist.report(idx, fake_losses(idx, step))
            outcome = "no error"
        except RuntimeError as error:
            outcome = f"error: {error}"
        warned = any("feedback differs" in str(c.message) for c in caught)
        outcomes.append(f"{outcome}|{warned}|{time.perf_counter() - start:.1f}")
        assist.close(after_error=True)
        dist.barrier()
    (Path(folder) / f"rank{rank}.txt").write_text("\n".join(outcomes))
    dist.destroy_process_group()


def seed_per_rank(rank: int, world_size: int, folder: str) -> None:
    """Each rank seeded with its rank (a common habit): both must get the same clear error."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{folder}/store", rank=rank, world_size=world_size)
    try:
        AutoAssist(dataset(), batch_size=BATCH, seed=rank, selector=UniformSelector())
        outcome = "accepted"
    except ValueError as error:
        outcome = f"error: {error}"
    (Path(folder) / f"rank{rank}.txt").write_text(outcome)
    dist.destroy_process_group()


def failing_rank_inline(rank: int, world_size: int, folder: str) -> None:
    """Inline mode: rank 1 fails after a report (as a backward's error would) while rank 0 waits in a collective of
    its own (DDP's all-reduce); rank 1's close(after_error=True), then close() in a finally, must not wait for rank
    0 (the second close settled with the other ranks, and hung until they came)."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{folder}/store", rank=rank, world_size=world_size)
    assist = AutoAssist(dataset(), batch_size=BATCH, seed=SEED, asynchronous=False,
                        exchange=FeedbackExchange(timeout=datetime.timedelta(seconds=8)))
    outcome, start = "finished", time.perf_counter()
    batches = iter(assist.loader())  # held, as a Trainer holds its loader's iterator: not closed by the error
    try:
        for step, (idx, _batch) in enumerate(batches):
            assist.report(idx, fake_losses(idx, step))
            if step == 3:
                start = time.perf_counter()
                if rank == 1:
                    raise RuntimeError("out of memory in backward")
                dist.monitored_barrier(timeout=datetime.timedelta(seconds=6))  # the all-reduce rank 1 never joins
    except RuntimeError as error:
        outcome = f"error: {error}"
        assist.close(after_error=True)
        assist.close()  # what a finally block (the HF and Lightning integrations') does next
    seconds = time.perf_counter() - start
    (Path(folder) / f"rank{rank}.txt").write_text(f"{outcome}|{seconds:.1f}")
    os._exit(0)  # the ranks no longer agree on what the group does next
