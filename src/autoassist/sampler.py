"""The batch generator: a PyTorch batch sampler that yields the batches a selector accepts.

``BatchGenerator`` composes small parts, each with one job:

* :class:`~autoassist.stream.CandidateStream`: the endless candidate stream, reshuffled every pass
  from ``(seed, pass)``, with acceptance coins from ``(seed, pass, 1)``;
* the selector (:mod:`autoassist.selectors`): acceptance probability and loss weight of each candidate;
* :class:`~autoassist.batching.CountBatcher`: full batches of accepted instances, none dropped (with
  ``max_tokens``, :class:`~autoassist.batching.TokenBatcher`, or with ``fresh_decisions``
  :class:`~autoassist.fresh_batching.FreshTokenBatcher`, which decides each batch's candidates as it cuts it);
* :class:`~autoassist.feedback.FeedbackLedger`: matches each ``report`` to its batch, orders feedback;
* :class:`~autoassist.worker.Assembler`: learns and assembles in a fixed order with a lag of
  ``lag`` steps, on a worker thread (``asynchronous=True``) or inline; both give the same batches.

An epoch is ``steps_per_epoch`` Boss steps (default ``ceil(N / (batch_size * world_size))``, the
paper's meaning), known before it starts. Under DDP (``world_size > 1``) every rank walks the same
stream and assembles the same global batch of ``batch_size * world_size`` instances, of which it
yields its own slice: every rank yields the same number of steps, and the ranks' batches are disjoint.

Epochs belong to the generator, not to an iterator: a new ``iter()`` continues an unfinished epoch
(after ``break``, Ctrl-C or ``load_state_dict`` alike), so a resumed run takes exactly the steps the
uninterrupted run would. A step counts as trained once it is reported: batches that were yielded
but not reported (a DataLoader fetches ahead of the loop) are yielded again by the next iterator,
and ``state_dict`` saves them for the same purpose (with a selector that learns, even before the first
report; a loop that has gone a whole epoch without one, or whose selector needs no feedback, is taken to
train on what it is given). The newest ``iter()`` owns the generator; an
older iterator that is still alive (an interrupted notebook cell) raises a clear error if it is used
again. The worker thread lives only while the owning iterator runs.
"""

from __future__ import annotations

import math
import threading
import time
import warnings
import weakref
import zlib
from typing import Any, Callable, Iterator

import numpy as np
from torch.utils.data import Sampler

from autoassist._errors import ParameterError, ParameterTypeError, check_bool, check_int, fail
from autoassist._state import from_saved, to_saveable
from autoassist.batching import (POOL_BATCHES, Batch, Batcher, CountBatcher, TokenBatcher, count_steps,
                                 instance_sizes)
from autoassist.distributed import check_same_on_every_rank, scalar_settings
from autoassist.feedback import FeedbackLedger, as_index_array
from autoassist.fresh_batching import FreshTokenBatcher
from autoassist.selectors.base import Selector
from autoassist.stream import CandidateStream
from autoassist.worker import Assembler

DEFAULT_LAG = 2


def check_settings(num_instances: int, batch_size: int | None, seed: int, rank: int, world_size: int,
                   steps_per_epoch: int | None, lag: int, max_tokens: int | None = None,
                   lengths: Any = None, pool_batches: int | None = None,
                   fresh_decisions: bool = False) -> tuple[int, int, int, int, int, int | None, int]:
    """Validate the generator's settings (cheap: AutoAssist calls it before building anything).

    Returns ``(N, batch_size, seed, rank, world_size, steps_per_epoch or None, lag)``; with
    ``max_tokens`` the batch size is 0 and the epoch's length is computed by the generator.
    """
    if pool_batches is not None:
        if max_tokens is None:
            raise fail("pool_batches", "given only with max_tokens (it sizes the pool token batches are cut "
                       "from)", pool_batches, "Drop pool_batches, or pass max_tokens= and lengths=.")
        check_int("pool_batches", pool_batches, minimum=1, fix=f"Use for example pool_batches={POOL_BATCHES}.")
    if lengths is not None and max_tokens is None:
        raise fail("lengths", "given only with max_tokens (they bound token batches)", "lengths without max_tokens",
                   "Pass max_tokens= too for token-bounded batches, or drop lengths= for batch_size batches.")
    fresh_decisions = check_bool("fresh_decisions", fresh_decisions)
    if fresh_decisions and max_tokens is None:
        raise fail("fresh_decisions", "True only with max_tokens (it decides token batches as they are cut)",
                   fresh_decisions, "Drop fresh_decisions, or pass max_tokens= and lengths=.")
    n = check_int("num_instances", num_instances, minimum=1,
                  fix="The dataset is empty: pass a non-empty training set.")
    seed = check_int("seed", seed, minimum=0, fix="Use a non-negative seed, e.g. seed=0.")
    w = check_int("world_size", world_size, minimum=1)
    r = check_int("rank", rank, minimum=0)
    if r >= w:
        raise fail("rank", f"in [0, world_size={w})", rank)
    lag = check_int("lag", lag, minimum=1, fix="lag=1 learns from the previous step before each batch.")
    if max_tokens is not None:
        if batch_size is not None:
            raise fail("batch_size", "None when max_tokens is given (batches are bounded by tokens)", batch_size,
                       "Pass either batch_size= (a count of instances) or max_tokens= (a token budget).")
        max_tokens = check_int("max_tokens", max_tokens, minimum=1, fix="Use for example max_tokens=4096.")
        sizes = check_lengths(lengths, n)
        if int(sizes.max()) > max_tokens:
            raise fail("max_tokens", f"at least the longest instance ({int(sizes.max())} tokens, instance "
                       f"{int(sizes.argmax())})", max_tokens, "Raise max_tokens or drop over-long instances.")
        b = 0
    else:
        b = check_int("batch_size", 128 if batch_size is None else batch_size, minimum=1,
                      fix="Use for example batch_size=128.")
        if b * w > n:
            raise fail("batch_size", f"at most the number of instances per rank ({n} instances, world_size {w})", b,
                       f"A batch larger than the data would repeat instances: use batch_size <= {n // w}.")
    steps = (count_steps(n, b, w) if b else None) if steps_per_epoch is None else check_int(
        "steps_per_epoch", steps_per_epoch, minimum=1)
    return n, b, seed, r, w, steps, lag


def check_lengths(lengths: Any, n: int) -> np.ndarray:
    """Per-instance token counts: shape (N,) or (N, 2) (source, target), positive integers; returns sizes."""
    if lengths is None:
        raise fail("lengths", "given with max_tokens (one token count per instance)", None,
                   "Pass lengths= as an (N,) array, or (N, 2) for (source, target) lengths.")
    try:
        arr = np.asarray(lengths.cpu().numpy() if hasattr(lengths, "cpu") else lengths)
    except ValueError:  # ragged nesting
        raise fail("lengths", f"of shape ({n},) or ({n}, 2)", "a ragged nesting",
                   "Pass one count per instance, or one (source, target) pair per instance.") from None
    if arr.ndim not in (1, 2) or arr.shape[0] != n or (arr.ndim == 2 and arr.shape[1] != 2):
        raise fail("lengths", f"of shape ({n},) or ({n}, 2)", f"shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise fail("lengths", "integer token counts", f"dtype {arr.dtype}", "Pass the counts as integers.")
    # one side of a pair may be empty (an empty target), not both: every instance takes room in a batch
    bad = np.flatnonzero((arr.min(axis=1) < 0) | (arr.max(axis=1) < 1) if arr.ndim == 2 else arr < 1)
    if len(bad):
        raise fail("lengths", "positive token counts (a (source, target) pair: non-negative, not both 0)",
                   f"{arr[bad[0]].tolist()} for instance {int(bad[0])}",
                   "Count the tokens each instance occupies (with BOS/EOS), or drop empty instances.")
    return instance_sizes(arr)


class BatchGenerator(Sampler[list[int]]):
    """Yields batches of accepted instance indices; learns from the Boss's feedback.

    Args:
        selector: the method that decides (uniform, AutoAssist, InfoBatch, ...): a stream selector.
        num_instances: N, the size of the training set.
        batch_size: instances per Boss step (per rank); default 128, or None with ``max_tokens``.
        max_tokens, lengths: token-bounded batches instead: each batch's padded size (count times the
            longest instance's tokens) stays within ``max_tokens``; ``lengths`` is (N,) or (N, 2)
            (source, target). The epoch is the number of batches an unfiltered pass makes.
        pool_batches: with ``max_tokens``, the selector decides about this many batches' worth of
            candidates at a time, and batches are cut from the accepted ones sorted by length
            (default 32): a larger pool pads less, a smaller one trains on fresher decisions.
        fresh_decisions: with ``max_tokens``, decide each batch's candidates as the batch is cut, from a
            pool of ``pool_batches`` batches' worth of undecided candidates
            (:class:`~autoassist.fresh_batching.FreshTokenBatcher`): decisions as fresh as ``lag`` with
            the packing of the whole pool. Default False (decide a pool at a time, then cut it).
        seed: the stream's seed (>= 0); the whole run derives from it.
        steps_per_epoch: Boss steps per epoch; default ``ceil(N / (batch_size * world_size))``.
        rank, world_size: this process's slice of each global batch.
        lag: batch ``t + lag`` is assembled after the feedback of step ``t`` is learned (>= 1).
        asynchronous: assemble on a worker thread (True) or inline on the Boss's thread (False).
        exchange: under DDP, ``exchange(step, indices, losses) -> (all ranks' indices, losses)``, called
            in step order before each step's feedback is learned: a
            :class:`~autoassist.distributed.FeedbackExchange` (what ``AutoAssist`` installs when a
            process group is initialised). Its ``rank`` and ``world_size``, if it has them, must
            match. Without one, ``world_size > 1`` shards the stream, but each rank's selector
            learns only its own feedback, so the ranks' decisions (and shards) drift apart as soon
            as the selector learns.

    Under DDP with a :class:`~autoassist.distributed.FeedbackExchange`, :meth:`state_dict` is a
    collective (call it on every rank at the same point of the loop, as Lightning and the Hugging
    Face Trainer do); the state of every rank is then the same apart from the per-rank part it
    gathers, so rank 0 saves one file and every rank loads it.
    """

    def __init__(
        self,
        selector: Selector,
        num_instances: int,
        batch_size: int | None = None,
        *,
        max_tokens: int | None = None,
        lengths: Any = None,
        seed: int = 0,
        steps_per_epoch: int | None = None,
        rank: int = 0,
        world_size: int = 1,
        lag: int = DEFAULT_LAG,
        asynchronous: bool = True,
        exchange: Callable[[int, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
        pool_batches: int | None = None,
        fresh_decisions: bool = False,
    ) -> None:
        if not isinstance(selector, Selector):
            raise ParameterTypeError(f"selector must be an autoassist Selector; got {type(selector).__name__}.")
        if selector.needs_boss_losses:
            raise fail("selector", "a stream selector", selector.name,
                       "Selectors that need the Boss's current losses go through ForwardFilter.")
        (self.num_instances, self.batch_size, self.seed, self.rank, self.world_size, steps,
         self.lag) = check_settings(num_instances, batch_size, seed, rank, world_size, steps_per_epoch, lag,
                                    max_tokens, lengths, pool_batches, fresh_decisions)
        if lengths is not None:  # checked: one array on the CPU from here on (a tensor may live on a GPU)
            lengths = np.asarray(lengths.cpu().numpy() if hasattr(lengths, "cpu") else lengths)
        self.max_tokens = max_tokens
        self.pool_batches = 0 if max_tokens is None else int(POOL_BATCHES if pool_batches is None else pool_batches)
        self.fresh_decisions = fresh_decisions
        self.asynchronous = check_bool("asynchronous", asynchronous)
        for name in ("rank", "world_size"):
            theirs = getattr(exchange, name, None)
            if theirs is not None and theirs != getattr(self, name):
                raise fail(name, f"the exchange's {name} ({theirs})", getattr(self, name),
                           f"Leave {name} to AutoAssist (it takes it from the process group), or pass the "
                           f"process group's {name}.")
        self.exchange = exchange
        self.selector = selector
        selector.bind(self.num_instances)
        w = self.world_size
        self.stream = CandidateStream(selector, self.num_instances, self.seed)
        self.ledger = FeedbackLedger(self.num_instances)

        def make_batcher() -> Batcher:
            if max_tokens is None:
                return CountBatcher(self.batch_size, w)
            if fresh_decisions:  # no seed: each batch grows around the oldest candidate, in the stream's shuffled order
                return FreshTokenBatcher(np.asarray(lengths), int(max_tokens), parts=w, pool_batches=self.pool_batches)
            return TokenBatcher(np.asarray(lengths), int(max_tokens), parts=w, pool_batches=self.pool_batches,
                                seed=self.seed)

        if steps is None:  # token batches: the steps an unfiltered pass takes
            first = np.random.default_rng([self.seed, 0]).permutation(self.num_instances)
            steps = make_batcher().steps_per_pass(first)
        self.steps_per_epoch = steps
        # the instances' lengths (token batches) as a checksum: a saved state's batches fit only the same lengths
        self._lengths_crc = 0 if lengths is None else zlib.crc32(np.ascontiguousarray(lengths, np.int64).tobytes())
        if exchange is not None and self.world_size > 1:
            self._check_ranks_agree(getattr(exchange, "gather_objects", None))
        self._assembler = Assembler(selector, self.stream, make_batcher(), self.ledger, rank=self.rank, lag=self.lag,
                                    asynchronous=self.asynchronous, exchange=exchange)
        weakref.finalize(self, self._assembler.stop)
        self.epoch = 0
        self.steps_in_epoch = 0
        self.steps = 0  # batches yielded, in all
        self.report_seconds = 0.0
        self._owner = 0  # the iterator that owns the generator (a counter; 0: none)
        self._owner_running = False
        self._warned: set[str] = set()
        # the last step of an epoch yielded whole before any report: said once the loop is past it
        self._silent_until: int | None = None
        self.report_call = "loss = assist.report(idx, losses)"  # named in that warning; integrations set their own
        self._lock = threading.Lock()
        self.decided = [0, 0]  # candidates scanned and accepted for the batches yielded (stats()'s keep rate)
        self.position = 0.0  # stream position (passes, fractional) after the last yielded batch
        self.last_weights = np.ones(0)

    # ------------------------------------------------------------------ sampler protocol
    def __len__(self) -> int:
        return self.steps_per_epoch

    def set_epoch(self, epoch: int) -> None:
        """Record the epoch (for logs and DDP symmetry); the stream itself continues where it is."""
        self.epoch = check_int("epoch", epoch, minimum=0)

    def __iter__(self) -> Iterator[list[int]]:
        with self._lock:
            self._owner += 1
            token = self._owner
            self._owner_running = True
        if self.ledger.handed is None:  # a loader that does not say what it hands: a new loop is past the epoch
            self._say_if_never_reported()
        with self._assembler.cond:
            self._assembler.quiesce()
            replay, self.epoch, self.steps_in_epoch, self.steps = self._rewind()
            self.decided = self._decided_without(replay)
            self.ledger.take_back(replay)
            self._assembler.ready.extendleft(reversed(replay))
            if replay:
                self.position = self._position_before(replay[0])
        return self._iterate(token)

    @property
    def loop(self) -> int:
        """The newest loop (iter()) of this generator: AutoAssist allows one at a time."""
        return self._owner

    def _check_loop(self, token: int) -> None:
        if token != self._owner:
            raise RuntimeError("this batch iterator was superseded by a newer iter() of the same batch generator "
                               "(AutoAssist allows one loop at a time); use the newest loader iterator.")

    def _rewind(self) -> tuple[list[Batch], int, int, int]:
        """Yielded batches not reported yet (to be yielded again), and the counters as if they never were."""
        # A selector that learns needs reports: until the loop has shown it makes none (a whole epoch without
        # one), a batch not reported yet is one the Boss has not trained on, even before the first report.
        replay = self.ledger.unconsumed(reports_expected=self.selector.learns and self.epoch == 0)
        epoch, in_epoch = self.epoch, self.steps_in_epoch - len(replay)
        while in_epoch < 0:  # the replayed batches end the previous epoch
            epoch, in_epoch = epoch - 1, in_epoch + self.steps_per_epoch
        return replay, epoch, in_epoch, self.steps - len(replay)

    def _decided_without(self, replay: list[Batch]) -> list[int]:
        """The decision counts of the yielded batches, less those yielded again."""
        return [self.decided[0] - sum(b.decided[0] for b in replay), self.decided[1] - sum(b.decided[1] for b in replay)]

    def _iterate(self, token: int) -> Iterator[list[int]]:
        try:
            while self.steps_in_epoch < self.steps_per_epoch:
                self._check_loop(token)
                batch = self._assembler.next_batch()
                self._expect(batch)
                self.steps_in_epoch += 1
                if self.steps_in_epoch == self.steps_per_epoch:
                    self.epoch += 1
                    self.steps_in_epoch = 0
                    self._check_reports()
                    yield batch.indices.tolist()
                    return
                yield batch.indices.tolist()
        finally:
            with self._lock:
                if token == self._owner:
                    self._owner_running = False
                    self._assembler.stop()

    def _expect(self, batch: Batch) -> None:
        with self._assembler.cond:
            self.ledger.expect(batch)
        self.steps += 1
        self.decided = [self.decided[0] + batch.decided[0], self.decided[1] + batch.decided[1]]
        self.position = batch.position
        self.last_weights = batch.weights

    # ------------------------------------------------------------------ feedback
    def hand(self, indices: Any, loop: int) -> None:
        """AutoAssist's loader, iterating as ``loop``, hands the loop the batch of these instances (its workers
        fetch ahead of the loop); a superseded loop is refused.

        A loop that does not report then trains on what it was handed: a checkpoint replays the batches
        fetched ahead, and ``stats()`` says where the loop is, not where the fetching is.
        """
        self._check_loop(loop)
        with self._assembler.cond:
            batch = self.ledger.hand(as_index_array(indices))
        if batch is not None and self._silent_until is not None and batch.step >= self._silent_until:
            self._say_if_never_reported()  # the loop got a whole epoch, and reported none of it

    def report(self, indices: Any, losses: Any) -> np.ndarray:
        """Hand one Boss step's per-instance losses to the selector; return the batch's loss weights.

        Returns at once and never waits for the worker. ``losses`` must be floating-point of shape
        (B,) (``reduction="none"``); they are detached and copied, the caller's tensor is never
        modified. ``indices`` are the batch's ``idx`` (all of it, or a micro-batch of it). Everything
        is checked before anything is recorded. Returns the loss weights of these instances (ones
        unless the selector weights them).
        """
        start = time.perf_counter()
        with self._assembler.cond:
            idx, loss_copy, step, weights = self.ledger.check(indices, losses)
            before = self.ledger.steps_unreported
            self.ledger.record(idx, loss_copy, step)
            unreported = self.ledger.steps_unreported - before
        self._assembler.feedback_arrived()
        if step is None:
            self._warn_once("duplicate", "the same batch was reported twice; the second report is ignored "
                            "(counted in stats()['duplicate_reports']). Call report() once per batch.")
        if unreported:
            self._warn_once("unreported", "report() was not called for a batch before the next one was reported; "
                            "the Assistant learns nothing from it (counted in stats()['steps_unreported']).")
        if isinstance(loss_copy, np.ndarray) and not np.isfinite(loss_copy).all():
            self._warn_once("nonfinite", "non-finite losses were reported; they are kept out of the selector's "
                            "training and counted in stats()['nonfinite_losses'].")
        self.report_seconds += time.perf_counter() - start
        return weights

    def _check_reports(self) -> None:
        # Said once the loop is handed this last batch (or, with a loader that does not say what it hands, at the
        # next iter() or close()): a DataLoader's workers can yield a short epoch whole before the loop has trained
        # on its first batch.
        if self.selector.learns and self.steps >= 2 * self.lag + 2 and not self.ledger.any_report:
            self._silent_until = self.steps - 1

    def _say_if_never_reported(self) -> None:
        if self._silent_until is not None and not self.ledger.any_report:
            self._warn_once("never", "report() was never called in a whole epoch: the selector learned nothing. "
                            f"Call {self.report_call} in every step.")
        self._silent_until = None

    def _loop_counts(self) -> tuple[int, int, float, int, int]:
        """(steps, epoch, position, scanned, accepted) after the last batch handed to the loop, where the loader
        says so; else after the last batch yielded."""
        handed = self.ledger.handed
        scanned, accepted = self.decided
        if handed is None or handed > self.steps:
            return self.steps, self.epoch, self.position, scanned, accepted
        behind = self.steps - handed  # batches the workers fetched ahead of the loop
        in_stream = self.epoch * self.steps_per_epoch + self.steps_in_epoch - behind
        position = self.ledger.position_before(handed)
        ahead = self.ledger.decided_from(handed)  # the decisions behind the batches fetched ahead
        return (handed, max(0, in_stream // self.steps_per_epoch), self.position if position is None else position,
                scanned - ahead[0], accepted - ahead[1])

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            warnings.warn(message, RuntimeWarning, stacklevel=3)

    # ------------------------------------------------------------------ state
    def stats(self) -> dict[str, float]:
        """Candidates scanned and accepted, keep rate, feedback counters, seconds, selector statistics.

        ``steps``, ``epoch`` and ``position`` are where the loop is: with AutoAssist's loader, after the
        last batch it handed the loop (its workers fetch ahead); else after the last batch yielded.
        """
        a, led = self._assembler.stats, self.ledger
        steps, epoch, position, scanned, accepted = self._loop_counts()
        out = {
            "steps": float(steps), "epoch": float(epoch), "scanned": float(scanned),
            "accepted": float(accepted), "keep_rate": accepted / scanned if scanned else 1.0,
            "passes": float(math.ceil(position)),  # passes the loop's batches reached (the worker may be ahead)
            "position": position,
            "feedback_batches": float(led.feedback_batches), "feedback_instances": float(led.feedback_instances),
            "steps_unreported": float(led.steps_unreported), "duplicate_reports": float(led.duplicate_reports),
            "nonfinite_losses": float(a.nonfinite_losses), "selector_seconds": a.selector_seconds,
            "selector_cpu_seconds": a.selector_cpu_seconds, "wait_seconds": a.wait_seconds,
            "report_seconds": self.report_seconds, "lag": float(self.lag),
            "exchange_seconds": a.exchange_seconds, "exchanges": float(a.exchanges),
            "exchange_ms_per_step": 1e3 * a.exchange_seconds / a.exchanges if a.exchanges else 0.0,
        }
        out.update(self.selector.stats())
        return out

    def _config(self) -> dict[str, int]:
        return {"num_instances": self.num_instances, "batch_size": self.batch_size, "seed": self.seed,
                "max_tokens": self.max_tokens or 0, "pool_batches": self.pool_batches,
                "fresh_decisions": int(self.fresh_decisions),
                "rank": self.rank, "world_size": self.world_size, "lag": self.lag,
                "steps_per_epoch": self.steps_per_epoch, "lengths": self._lengths_crc}

    def _check_ranks_agree(self, gather: Callable[[Any], list[Any]] | None) -> None:
        """Under DDP every rank must build the generator alike (a collective): a seed per rank, a common habit,
        would give overlapping shards and instances never seen, without a word."""
        if gather is None:
            return
        mine: dict[str, Any] = {k: v for k, v in self._config().items() if k != "rank"}
        mine["selector"] = self._kind()
        # its settings and its Assistant's (base_prob, lr, prefer, ...): other ones on a rank would decide otherwise
        mine["selector_settings"] = scalar_settings(self.selector)
        mine["assistant_settings"] = scalar_settings(getattr(self.selector, "assistant", None))
        check_same_on_every_rank(gather, mine, "Pass the same seed, batch size, data and options on every rank "
                                 "(rank and world_size come from the process group).")

    def _kind(self) -> str:
        """The selector's name, and its Assistant's class if it has one: a state restores only the same kind."""
        assistant = getattr(self.selector, "assistant", None)
        return self.selector.name + ("" if assistant is None else f" with {type(assistant).__name__}")

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly as an uninterrupted run (tensors and Python numbers only).

        A step counts as trained once it is reported: batches yielded but not reported yet (a
        DataLoader fetches ahead) are saved to be yielded again after ``load_state_dict``. Batches
        are saved whole (all ranks' slices). Under DDP with a ``FeedbackExchange`` this is a
        collective: every final step is exchanged first, and each rank's feedback ledger (the one
        per-rank part) is gathered into ``ledgers``, so any rank's state, saved by rank 0, restores
        every rank.
        """
        asm = self._assembler
        with asm.cond:
            asm.quiesce()
            asm._raise_error()
            asm.settle()
            replay, epoch, in_epoch, steps = self._rewind()
            ledger = self.ledger.state_dict(skip_from=replay[0].step if replay else 1 << 62)
            gather = getattr(self.exchange, "gather_objects", None)
            state = {
                "config": self._config(),
                "kind": self._kind(),
                "epoch": epoch,
                "steps_in_epoch": in_epoch,
                "steps": steps,
                "decided": self._decided_without(replay),
                "report_seconds": self.report_seconds,
                "position": self._position_before(replay[0]) if replay else self.position,
                "stream": self.stream.state_dict(),
                "batcher": asm.batcher.state_dict(),
                "ledger": ledger,
                "assembler": asm.state_dict(),
                "ready": [b.to_global_state() for b in replay] + [b.to_global_state() for b in asm.ready],
                "selector": self.selector.state_dict(),
            }
            if gather is not None and self.world_size > 1:  # a collective, with the worker idle
                state["ledgers"] = gather(to_saveable(ledger))
        return to_saveable(state)

    def _position_before(self, batch: Batch) -> float:
        before = self.ledger.position_before(batch.step)
        return batch.position if before is None else before  # (a batch the ledger no longer holds: one too far)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned; the next ``iter()`` continues the saved epoch.

        Nothing changes unless the whole state loads: a state of another setting or kind of selector is
        refused before anything is restored.
        """
        if not isinstance(state, dict) or not isinstance(state.get("config"), dict):
            got = f"a dict with keys {sorted(map(str, state))[:6]}" if isinstance(state, dict) else type(state).__name__
            raise fail("state", "what AutoAssist.state_dict() returned", got,
                       "Pass the entry of the checkpoint that holds assist.state_dict(), not the whole checkpoint.")
        state = from_saved(state)
        if "kind" in state and str(state["kind"]) != self._kind():  # states saved before it was kept: not checked
            raise fail("state", f"saved from the same kind of selector ({self._kind()})", str(state["kind"]),
                       "Build AutoAssist with the same selector= / assistant= as the run that saved it.")
        saved = {k: int(v) for k, v in state["config"].items() if k != "rank"}
        saved.setdefault("pool_batches", POOL_BATCHES if saved.get("max_tokens") else 0)  # saved before it was kept
        saved.setdefault("fresh_decisions", 0)
        mine = {k: v for k, v in self._config().items() if k != "rank"}
        saved.setdefault("lengths", mine["lengths"])  # saved before the lengths' checksum was kept: not checked
        if saved["lengths"] != mine["lengths"]:
            raise fail("state", "saved from a run over instances of the same lengths (its batches are cut to "
                       "max_tokens for them)", "one whose lengths differ from these (another corpus, tokenisation "
                       "or order)", "Resume with the data and lengths= of the run that saved it, or start afresh.")
        if saved != mine:
            differ = ", ".join(f"{k} {saved.get(k)} (here {mine.get(k)})" for k in sorted(set(saved) | set(mine))
                               if saved.get(k) != mine.get(k))
            raise ParameterError(f"state must be saved from a generator with the same settings; got one saved with "
                                 f"{differ}. Build the generator (AutoAssist) with the saved settings (the same "
                                 f"world_size too) before loading its state.")
        ledger = state["ledger"]
        if "ledgers" in state:  # saved under DDP: this rank's own ledger
            ledger = state["ledgers"][self.rank]
        elif self.world_size > 1 and int(state["config"].get("rank", self.rank)) != self.rank:
            ledger = _other_ranks_ledger(ledger)
        with self._lock:
            self._owner += 1  # any live iterator is superseded
            self._owner_running = False
        asm = self._assembler
        asm.stop()
        with asm.cond:
            before = self.selector.state_dict()
            try:  # the selector first: the only part whose contents the config does not vouch for
                self.selector.load_state_dict(state["selector"])
            except Exception as error:  # whatever a damaged state raises: the selector is put back
                self.selector.load_state_dict(before)
                raise fail("state", f"a state of this selector ({self._kind()})", "one it cannot load",
                           f"({error}) Build AutoAssist with the same selector=, assistant= and features as the run "
                           "that saved it.") from None
            mine_before, error_before = self._parts_state(), asm.error
            try:  # the rest, put back as it was if any part fails: nothing changes unless the whole state loads
                self._load_parts(state, ledger)
            except Exception as error:
                self._load_parts(mine_before, mine_before["ledger"])
                asm.error = error_before  # a generator that had failed stays failed
                self.selector.load_state_dict(before)
                raise fail("state", "what AutoAssist.state_dict() returned, whole", f"one that fails to load ({error!r})",
                           "Load the state as saved; the generator is as it was (a loop in progress starts again "
                           "at its next iter()).") from None

    def _parts_state(self) -> dict[str, Any]:
        """The generator's own parts as :meth:`_load_parts` takes them (caller holds the assembler's ``cond``)."""
        asm = self._assembler
        return {"epoch": self.epoch, "steps_in_epoch": self.steps_in_epoch, "steps": self.steps,
                "decided": list(self.decided), "report_seconds": self.report_seconds, "position": self.position,
                "stream": self.stream.state_dict(), "batcher": asm.batcher.state_dict(),
                "ledger": self.ledger.state_dict(skip_from=1 << 62), "assembler": asm.state_dict(),
                "ready": [b.to_global_state() for b in asm.ready]}

    def _load_parts(self, state: dict[str, Any], ledger: dict[str, Any]) -> None:
        asm = self._assembler
        self.epoch = int(state["epoch"])
        self.steps_in_epoch = int(state["steps_in_epoch"])
        self.steps = int(state["steps"])
        saved = state["assembler"]["stats"]  # states saved before "decided" was kept: the assembler's counts
        self.decided = [int(v) for v in state.get("decided", (saved[0], saved[1]))]
        self.report_seconds = float(state["report_seconds"])
        self.position = float(state["position"])
        self.stream.load_state_dict(state["stream"])
        asm.batcher.load_state_dict(state["batcher"])
        self.ledger.load_state_dict(ledger)
        asm.load_state_dict(state["assembler"], [Batch.from_global_state(b, self.rank) for b in state["ready"]])

    def close(self, drain: bool = True) -> None:
        """Stop the worker thread if one is running (safe to call twice; also done automatically).

        Under DDP the worker first exchanges the steps that are final (``drain=False``: not).
        """
        if self.ledger.handed is None:
            self._say_if_never_reported()
        self._assembler.stop(drain=drain)


def _other_ranks_ledger(ledger: dict[str, Any]) -> dict[str, Any]:
    """Another rank's ledger without its rank-specific batches (a state saved without a FeedbackExchange)."""
    return {**ledger, "outstanding": [], "recent": []}
