"""The batch generator: walks an endless shuffled stream of candidates and yields accepted batches.

``BatchGenerator`` is a PyTorch batch sampler (``DataLoader(ds, batch_sampler=gen)``) that asks a
:class:`~autoassist.selectors.base.Selector` which candidates to accept and yields full batches of
accepted instance indices. The Boss reports its per-instance losses back with :meth:`report`.

* The candidate stream is reshuffled every pass from ``(seed, pass)``; acceptance coins come from
  ``(seed, pass, rank)``. Under DDP every rank walks the same stream, takes every ``world_size``-th
  candidate from position ``rank``, and yields the same number of steps per epoch.
* An epoch is ``steps_per_epoch`` Boss steps (default ``ceil(N / (batch_size * world_size))``, the
  paper's meaning), known before the epoch starts, whatever the keep rate.
* Asynchronous by default: a worker thread learns from feedback and assembles batches ahead of the
  Boss (``prefetch`` of them). :meth:`report` only appends to a queue and never waits on the worker.
  Feedback that cannot be kept (more than ``max_pending_feedback`` batches waiting) is dropped
  oldest-first and counted in :meth:`stats`. The worker lives only while an epoch is iterated, and
  stops when the iteration ends, also on exceptions and Ctrl-C.
* ``asynchronous=False`` does the same work inline on the Boss's thread: slower, fully
  deterministic, which is what exact-resume tests and debugging want.
* ``state_dict``/``load_state_dict`` capture the stream position, the prefetched batches, pending
  feedback and the selector: a restored generator continues where the saved one was.
"""

from __future__ import annotations

import math
import threading
import time
import warnings
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any, Iterator, Sequence

import numpy as np
import torch
from threadpoolctl import threadpool_limits
from torch.utils.data import Sampler

from autoassist._errors import ParameterTypeError, check_int, fail
from autoassist.selectors.base import Selector


@dataclass
class GeneratorStats:
    """Counters a user can read and log at any time (see :meth:`BatchGenerator.stats`)."""

    steps: int = 0
    scanned: int = 0
    accepted: int = 0
    passes: int = 0
    feedback_batches: int = 0
    feedback_instances: int = 0
    feedback_dropped: int = 0
    nonfinite_losses: int = 0
    selector_seconds: float = 0.0
    selector_cpu_seconds: float = 0.0
    wait_seconds: float = 0.0
    report_seconds: float = 0.0

    @property
    def keep_rate(self) -> float:
        return self.accepted / self.scanned if self.scanned else 1.0


def _as_index_array(indices: Any) -> np.ndarray:
    if isinstance(indices, torch.Tensor):
        return indices.detach().to("cpu", torch.int64).numpy().copy()
    return np.array(indices, dtype=np.int64)


class BatchGenerator(Sampler[list[int]]):
    """Yields batches of accepted instance indices; learns from the Boss's feedback.

    Args:
        selector: the method that decides (uniform, AutoAssist, InfoBatch, ...).
        num_instances: N, the size of the training set.
        batch_size: instances per Boss step (per rank).
        seed: the stream's seed; the whole stream derives from ``(seed, pass)``.
        steps_per_epoch: Boss steps per epoch; default ``ceil(N / (batch_size * world_size))``.
        rank, world_size: this process's shard of the candidate stream.
        prefetch: batches assembled ahead of the Boss (asynchronous mode).
        asynchronous: run the selector on a worker thread (True) or inline (False).
        max_pending_feedback: feedback batches kept while the worker is busy; older ones are dropped
            and counted.
    """

    def __init__(
        self,
        selector: Selector,
        num_instances: int,
        batch_size: int,
        *,
        seed: int = 0,
        steps_per_epoch: int | None = None,
        rank: int = 0,
        world_size: int = 1,
        prefetch: int = 4,
        asynchronous: bool = True,
        max_pending_feedback: int = 1024,
    ) -> None:
        if not isinstance(selector, Selector):
            raise ParameterTypeError(f"selector must be an autoassist Selector; got {type(selector).__name__}.")
        if selector.needs_boss_losses:
            raise fail("selector", "a stream selector", selector.name,
                       "Selectors that need the Boss's current losses go through ForwardFilter.")
        self.num_instances = check_int("num_instances", num_instances, minimum=1,
                                       fix="The dataset is empty: pass a non-empty training set.")
        self.batch_size = check_int("batch_size", batch_size, minimum=1, fix="Use for example batch_size=128.")
        self.seed = check_int("seed", seed)
        self.world_size = check_int("world_size", world_size, minimum=1)
        self.rank = check_int("rank", rank, minimum=0)
        if self.rank >= self.world_size:
            raise fail("rank", f"in [0, world_size={self.world_size})", rank)
        default_steps = math.ceil(self.num_instances / (self.batch_size * self.world_size))
        self.steps_per_epoch = default_steps if steps_per_epoch is None else check_int(
            "steps_per_epoch", steps_per_epoch, minimum=1)
        self.prefetch = check_int("prefetch", prefetch, minimum=1)
        self.asynchronous = bool(asynchronous)
        self.max_pending_feedback = check_int("max_pending_feedback", max_pending_feedback, minimum=1)
        self.selector = selector
        selector.bind(self.num_instances)
        self.epoch = 0
        self._stats = GeneratorStats()
        self._pass = -1
        self._order = np.empty(0, dtype=np.int64)
        self._coins = np.empty(0, dtype=np.float64)
        self._pos = 0
        self._carry_idx = np.empty(0, dtype=np.int64)
        self._carry_w = np.empty(0, dtype=np.float64)
        self._produced = 0
        self._ready: deque[tuple[np.ndarray, np.ndarray, float]] = deque()
        self.position = 0.0  # stream position (passes, fractional) after the last yielded batch
        self._yielded: deque[tuple[np.ndarray, np.ndarray]] = deque(maxlen=64)
        self._feedback: deque[tuple[np.ndarray, Any]] = deque()
        self._ready_cond = threading.Condition()
        self._compute_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self._worker_error: BaseException | None = None
        self._warned_nonfinite = False

    # ------------------------------------------------------------------ sampler protocol
    def __len__(self) -> int:
        return self.steps_per_epoch

    def set_epoch(self, epoch: int) -> None:
        """Record the epoch (for logs and DDP symmetry); the stream itself continues where it is."""
        self.epoch = check_int("epoch", epoch, minimum=0)

    def __iter__(self) -> Iterator[list[int]]:
        if self.asynchronous:
            self._start_worker()
        try:
            for _ in range(self.steps_per_epoch):
                indices, weights, self.position = self._next_batch()
                self._yielded.append((indices, weights))
                self._stats.steps += 1
                yield indices.tolist()
        finally:
            self._stop_worker()
        self.epoch += 1

    # ------------------------------------------------------------------ feedback
    def report(self, indices: Any, losses: Any) -> None:
        """Hand one Boss step's per-instance losses to the selector. Returns at once; never blocks.

        Args:
            indices: the batch's instance indices (the ``idx`` an IndexedDataset yields), shape (B,).
            losses: the per-instance losses, shape (B,): ``F.cross_entropy(..., reduction="none")``.
                They are detached and copied; the caller's tensor is never modified.
        """
        start = time.perf_counter()
        idx = _as_index_array(indices)
        if isinstance(losses, torch.Tensor):
            shape = tuple(losses.shape)
            # On an accelerator: an asynchronous device copy; the worker moves it to the CPU off the Boss's path.
            loss_copy: Any = (losses.detach().clone() if losses.device.type != "cpu"
                              else losses.detach().to("cpu", torch.float64, copy=True).numpy())
        else:
            loss_copy = np.array(losses, dtype=np.float64)
            shape = loss_copy.shape
        if len(shape) != 1:
            raise fail("losses", "a vector of per-instance losses of shape (B,)", f"shape {shape}",
                       'Compute the loss with reduction="none", e.g. F.cross_entropy(out, y, reduction="none").')
        if idx.ndim != 1 or len(idx) != shape[0]:
            raise fail("indices", f"of the same length as losses ({shape[0]})", f"shape {idx.shape}",
                       "Report the idx of the same batch the losses come from.")
        if len(idx) and (idx.min() < 0 or idx.max() >= self.num_instances):
            bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
            raise fail("indices", f"in [0, {self.num_instances})", bad,
                       "Use the idx yielded by IndexedDataset for this training set.")
        if len(self._feedback) >= self.max_pending_feedback:
            try:
                dropped_idx, _ = self._feedback.popleft()
                self._stats.feedback_dropped += len(dropped_idx)
            except IndexError:  # the worker emptied the queue meanwhile
                pass
        self._feedback.append((idx, loss_copy))
        if self.asynchronous:
            self._wake.set()
        else:
            self._learn_pending()
        if self._stats.nonfinite_losses and not self._warned_nonfinite:
            self._warned_nonfinite = True
            warnings.warn(f"{self._stats.nonfinite_losses} non-finite losses were reported; they are kept out of "
                          "the selector's training and counted in stats()['nonfinite_losses'].", RuntimeWarning,
                          stacklevel=2)
        self._stats.report_seconds += time.perf_counter() - start

    def weights_for(self, indices: Any) -> np.ndarray:
        """The loss weights the selector gave the instances of a yielded batch (ones if unweighted)."""
        idx = _as_index_array(indices)
        for batch_idx, weights in reversed(self._yielded):
            if len(batch_idx) == len(idx) and np.array_equal(batch_idx, idx):
                return weights
        raise fail("indices", "a batch this generator yielded recently (the last 64)", f"{len(idx)} indices",
                   "Ask for the weights of the batch you are training on, before moving far ahead.")

    # ------------------------------------------------------------------ state
    def stats(self) -> dict[str, float]:
        """Candidates scanned and accepted, keep rate, feedback counters, seconds, selector statistics."""
        out = {k: float(v) for k, v in asdict(self._stats).items()}
        out["keep_rate"] = self._stats.keep_rate
        out.update(self.selector.stats())
        return out

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly where this generator is (pauses the worker briefly)."""
        with self._compute_lock:
            self._raise_worker_error()
            return {
                "config": {"num_instances": self.num_instances, "batch_size": self.batch_size, "seed": self.seed,
                           "rank": self.rank, "world_size": self.world_size},
                "epoch": self.epoch,
                "pass": self._pass,
                "order": self._order.copy(),
                "coins": self._coins.copy(),
                "pos": self._pos,
                "carry_idx": self._carry_idx.copy(),
                "carry_w": self._carry_w.copy(),
                "produced": self._produced,
                "ready": [(i.copy(), w.copy(), pos) for i, w, pos in self._ready],
                "position": self.position,
                "yielded": [(i.copy(), w.copy()) for i, w in self._yielded],
                "feedback": [(i.copy(), self._loss_array(l)) for i, l in list(self._feedback)],
                "stats": asdict(self._stats),
                "selector": self.selector.state_dict(),
            }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (the generator must be built the same way)."""
        mine = {"num_instances": self.num_instances, "batch_size": self.batch_size, "seed": self.seed,
                "rank": self.rank, "world_size": self.world_size}
        if state["config"] != mine:
            raise fail("state", f"saved from a generator with the same settings {mine}", state["config"],
                       "Build the generator with the saved settings before loading its state.")
        self._stop_worker()
        with self._compute_lock:
            self.epoch = int(state["epoch"])
            self._pass = int(state["pass"])
            self._order = np.asarray(state["order"], dtype=np.int64).copy()
            self._coins = np.asarray(state["coins"], dtype=np.float64).copy()
            self._pos = int(state["pos"])
            self._carry_idx = np.asarray(state["carry_idx"], dtype=np.int64).copy()
            self._carry_w = np.asarray(state["carry_w"], dtype=np.float64).copy()
            self._produced = int(state["produced"])
            self._ready = deque((np.asarray(i).copy(), np.asarray(w).copy(), float(pos))
                                for i, w, pos in state["ready"])
            self.position = float(state["position"])
            self._yielded = deque(((np.asarray(i).copy(), np.asarray(w).copy()) for i, w in state["yielded"]),
                                  maxlen=64)
            self._feedback = deque((np.asarray(i).copy(), np.asarray(l).copy()) for i, l in state["feedback"])
            self._stats = GeneratorStats(**state["stats"])
            self.selector.load_state_dict(state["selector"])

    def close(self) -> None:
        """Stop the worker thread if one is running (safe to call twice)."""
        self._stop_worker()

    # ------------------------------------------------------------------ internals
    def _next_batch(self) -> tuple[np.ndarray, np.ndarray, float]:
        if not self.asynchronous:
            with self._compute_lock:
                self._learn_pending()
                return self._produce()
        start = time.perf_counter()
        with self._ready_cond:
            while not self._ready:
                self._raise_worker_error()
                self._wake.set()
                self._ready_cond.wait(timeout=0.05)
            batch = self._ready.popleft()
        self._wake.set()
        self._stats.wait_seconds += time.perf_counter() - start
        return batch

    @staticmethod
    def _loss_array(losses: Any) -> np.ndarray:
        if isinstance(losses, torch.Tensor):
            return losses.to("cpu", torch.float64).numpy()
        return np.asarray(losses, dtype=np.float64)

    def _learn_pending(self) -> None:
        start, cpu_start = time.perf_counter(), time.thread_time()
        while self._feedback:
            try:
                idx, losses = self._feedback.popleft()
            except IndexError:  # emptied by a concurrent drop
                break
            values = self._loss_array(losses)
            finite = np.isfinite(values)
            if not finite.all():
                self._stats.nonfinite_losses += int((~finite).sum())
                idx, values = idx[finite], values[finite]
            self._stats.feedback_batches += 1
            self._stats.feedback_instances += len(idx)
            if len(idx):
                self.selector.observe(idx, values)
        self._stats.selector_seconds += time.perf_counter() - start
        self._stats.selector_cpu_seconds += time.thread_time() - cpu_start

    def _start_pass(self) -> None:
        self._pass += 1
        self._stats.passes = self._pass + 1
        self.selector.begin_pass(self._pass)
        rng = np.random.default_rng([self.seed, self._pass])
        order = self.selector.candidates(self._pass, rng)
        if order is None:
            order = rng.permutation(self.num_instances)
        order = np.asarray(order, dtype=np.int64)
        self._order = order[self.rank::self.world_size]
        self._coins = np.random.default_rng([self.seed, self._pass, self.rank, 1]).random(len(self._order))
        self._pos = 0

    def _produce(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Scan candidates until one full batch is accepted; return it (caller holds the compute lock)."""
        start, cpu_start = time.perf_counter(), time.thread_time()
        b = self.batch_size
        self.selector.set_step(self._produced)
        pieces_i, pieces_w = [self._carry_idx], [self._carry_w]
        have = len(self._carry_idx)
        while have < b:
            if self._pos >= len(self._order):
                self._start_pass()
                if len(self._order) == 0:
                    raise fail("selector.candidates", "a non-empty candidate order", "an empty one")
            end = min(self._pos + b, len(self._order))
            chunk = self._order[self._pos:end]
            decision = self.selector.decide(chunk)
            keep = self._coins[self._pos:end] < decision.accept_prob
            self._pos = end
            self._stats.scanned += len(chunk)
            self._stats.accepted += int(keep.sum())
            pieces_i.append(chunk[keep])
            pieces_w.append(np.asarray(decision.weight, dtype=np.float64)[keep])
            have += int(keep.sum())
        all_i, all_w = np.concatenate(pieces_i), np.concatenate(pieces_w)
        batch_i, self._carry_idx = all_i[:b], all_i[b:]
        batch_w, self._carry_w = all_w[:b], all_w[b:]
        if self.selector.normalize_weights:
            batch_w = batch_w / batch_w.mean()
        self._produced += 1
        self._stats.selector_seconds += time.perf_counter() - start
        self._stats.selector_cpu_seconds += time.thread_time() - cpu_start
        return batch_i, batch_w, self._pass + self._pos / max(1, len(self._order))

    def _start_worker(self) -> None:
        if self._worker is not None and self._worker.is_alive():
            return
        self._stop.clear()
        self._worker_error = None
        self._worker = threading.Thread(target=self._worker_main, name="autoassist-batch-generator", daemon=True)
        self._worker.start()

    def _stop_worker(self) -> None:
        worker = self._worker
        if worker is None:
            return
        self._stop.set()
        self._wake.set()
        if worker is not threading.current_thread():
            worker.join()
        self._worker = None

    def _raise_worker_error(self) -> None:
        if self._worker_error is not None:
            error, self._worker_error = self._worker_error, None
            raise RuntimeError("the batch generator's worker thread failed") from error

    def _worker_main(self) -> None:
        # numpy's BLAS threads would spin on the cores the Boss uses: the worker computes on one thread.
        try:
            with threadpool_limits(limits=1, user_api="blas"):
                while not self._stop.is_set():
                    self._wake.clear()
                    with self._compute_lock:
                        self._learn_pending()
                        need = len(self._ready) < self.prefetch
                        if need:  # appended under the compute lock, so state_dict never misses a batch
                            batch = self._produce()
                            with self._ready_cond:
                                self._ready.append(batch)
                                self._ready_cond.notify_all()
                    if not need:
                        self._wake.wait(timeout=0.05)
        except BaseException as error:  # surfaced on the Boss's thread at the next batch
            self._worker_error = error
            with self._ready_cond:
                self._ready_cond.notify_all()


def batches_as_lists(batches: Sequence[np.ndarray]) -> list[list[int]]:
    """Small helper for tests and logs: index arrays to plain lists."""
    return [b.tolist() for b in batches]
