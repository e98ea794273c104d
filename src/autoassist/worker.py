"""The assembler: learns feedback and assembles batches in a fixed order, on a worker thread or inline.

**Deterministic asynchrony.** Batch ``j`` is assembled only after the feedback of steps
``0 .. j - lag`` has been learned, and before anything later is learned. Learning and assembling
therefore interleave in one fixed order whatever the threads' timing, so a run is a function of its
seed, and inline (``asynchronous=False``) and threaded runs yield the very same batches.

**Several processes.** With an ``exchange`` (see :mod:`autoassist.distributed`), each step's final
feedback is exchanged among the ranks, in step order, on the worker thread, as soon as it is final
(eagerly, so the collective overlaps the Boss's next steps); it is learned later, at its fixed place
in the order. Every rank's selector learns the global feedback and makes the same decisions. The
exchange is a collective: which steps a rank exchanges must not depend on thread timing. So a worker
asked to stop first exchanges every step that was final when it was asked (the Boss's thread decides
that, identically on every rank), and :meth:`Assembler.settle` does the same before a state is saved.

**Never a hang.** When the Boss asks for batch ``j`` and the feedback of step ``j - lag`` has not
been reported (a DataLoader that fetches batches ahead of the loop, or a loop that does not report),
waiting could last forever. The batch is then assembled at once from the feedback reported so far;
that count is fixed at the moment of the request, so the run stays a function of its seed and of
the loop. The Boss waits only while the worker is behind on feedback it already has
(``wait_seconds`` in ``stats()``).

The worker thread holds no lock while it computes; ``report`` and ``next_batch`` only touch the
ledger and the queue under a short lock. It is stopped by :meth:`Assembler.stop`, which the batch
generator calls when its epoch iterator ends, when it is garbage-collected, and at interpreter exit.
"""

from __future__ import annotations

import atexit
import threading
import time
import warnings
import weakref
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from threadpoolctl import threadpool_limits

from autoassist._errors import ParameterError, fail
from autoassist.batching import Batch, Batcher
from autoassist.distributed import RanksDisagree
from autoassist.feedback import FeedbackLedger, loss_array
from autoassist.selectors.base import Selector, checked_decision, normalized
from autoassist.stream import CandidateStream

_LIVE: "weakref.WeakSet[Assembler]" = weakref.WeakSet()
# two whole passes of candidates in a row, none accepted, each expecting fewer acceptances than this, stop the
# assembly: the batch would take thousands of passes (forever with probability 0), and a worker stuck in it cannot
# be stopped
HOPELESS = 1e-3


@atexit.register
def _stop_all_workers() -> None:  # a worker busy in numpy/torch at interpreter exit could abort the process
    for assembler in list(_LIVE):
        assembler.stop()


@dataclass
class AssemblyStats:
    """Counters of the assembler (see ``BatchGenerator.stats``)."""

    scanned: int = 0
    accepted: int = 0
    nonfinite_losses: int = 0
    selector_seconds: float = 0.0
    selector_cpu_seconds: float = 0.0
    wait_seconds: float = 0.0
    exchange_seconds: float = 0.0
    exchanges: int = 0


class Assembler:
    """Learns final feedback and assembles global batches in step order; see the module docstring."""

    def __init__(self, selector: Selector, stream: CandidateStream, batcher: Batcher, ledger: FeedbackLedger,
                 *, rank: int, lag: int, asynchronous: bool,
                 exchange: Callable[[int, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None
                 ) -> None:
        self.selector = selector
        self.stream = stream
        self.batcher = batcher
        self.ledger = ledger
        self.rank = rank
        self.lag = lag
        self.asynchronous = asynchronous
        self.exchange = exchange
        self.stats = AssemblyStats()
        self.cond = threading.Condition()
        self.ready: deque[Batch] = deque()
        self.next_step = 0  # the next batch to assemble
        self.learned = 0  # final feedback steps learned
        self.exchanged: deque[tuple[int, np.ndarray, np.ndarray]] = deque()  # global feedback, not learned yet
        self._drain_to = 0  # a stopping worker exchanges the final steps before this one first
        self._agree = False  # ... and then agrees with the other ranks on that count (FeedbackExchange.agree)
        self._inline_since_stop = False  # inline mode: batches were assembled since the last stop
        self.caps: dict[int, int] = {}  # step -> feedback steps it may learn before it (set on demand)
        self.busy = False
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._stop = False
        self._warned_nonfinite = False
        self._dry: tuple[int, int, float, int] = (-1, 0, 0.0, 0)
        self._warned_disagree = False

    # ------------------------------------------------------------------ scheduling
    def _action(self) -> str:
        """'learn', 'assemble' or 'wait' for the next unit of work (caller holds the lock)."""
        j = self.next_step
        need = j - self.lag + 1
        if j in self.caps:
            need = min(need, self.caps[j])
        if self.exchange is not None:
            if self.ledger.final:
                return "exchange"
            if self.learned < need:
                return "learn" if self.exchanged else "wait"
            return "assemble"
        if self.learned < need:
            return "learn" if self.ledger.finalized > self.learned else "wait"
        return "assemble"

    def _work(self, action: str) -> None:
        """Do one unit of work outside the lock, then publish it under the lock."""
        if action == "exchange":
            with self.cond:
                item = self.ledger.pop_final()
            exchanged = self._exchange(*item)
            with self.cond:
                self.exchanged.append(exchanged)
                self.cond.notify_all()
        elif action == "learn":
            with self.cond:
                item = self.exchanged.popleft() if self.exchange is not None else self.ledger.pop_final()
            self._learn(*item)
            with self.cond:
                self.learned += 1
                self.cond.notify_all()
        else:
            with self.cond:
                step = self.next_step
            batch = self._assemble(step)
            with self.cond:
                self.ready.append(batch)
                self.next_step += 1
                self.caps.pop(step, None)
                self.cond.notify_all()

    def _exchange(self, step: int, idx: np.ndarray, losses: Any) -> tuple[int, np.ndarray, np.ndarray]:
        """All ranks' final feedback of ``step``, concatenated in rank order (a collective under DDP)."""
        assert self.exchange is not None
        start = time.perf_counter()
        all_idx, all_values = self.exchange(step, idx, loss_array(losses))
        self.stats.exchange_seconds += time.perf_counter() - start
        self.stats.exchanges += 1
        return step, np.asarray(all_idx, dtype=np.int64), np.asarray(all_values, dtype=np.float64)

    def _learn(self, step: int, idx: np.ndarray, losses: Any) -> None:
        start, cpu = time.perf_counter(), time.thread_time()
        values = loss_array(losses)
        finite = np.isfinite(values)
        if not finite.all():
            self.stats.nonfinite_losses += int((~finite).sum())
            idx, values = idx[finite], values[finite]
        if len(idx):
            self.selector.observe(idx, values)
        self.stats.selector_seconds += time.perf_counter() - start
        self.stats.selector_cpu_seconds += time.thread_time() - cpu

    def _decide(self, chunk: np.ndarray, coins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The selector's decision about candidates: which are accepted (coin below the probability), weights."""
        prob, weight = checked_decision(self.selector.decide(chunk), len(chunk), self.selector)
        keep = coins < prob
        accepted = np.flatnonzero(keep)
        # (pass, its candidates since its start or last acceptance, the acceptances they could expect, passes in a
        # row that were dry: none accepted, fewer than HOPELESS expected); a chunk never spans two passes
        this_pass, (seen_pass, dry, expected, dry_passes) = self.stream.pass_index, self._dry
        if seen_pass != this_pass:
            dry, expected = 0, 0.0
        if len(accepted):
            dry, expected, dry_passes = len(chunk) - 1 - int(accepted[-1]), float(prob[accepted[-1] + 1:].sum()), 0
        else:
            dry, expected = dry + len(chunk), expected + float(prob.sum())
        if dry >= len(self.stream.order) and expected < HOPELESS:  # this pass ends dry: once, at its last chunk
            dry_passes += 1
        self._dry = (this_pass, dry, expected, dry_passes)
        if dry_passes >= 2:
            # the selector's rule may change with the pass (begin_pass), so one dry pass is no proof; two are
            raise fail(f"{type(self.selector).__name__}'s acceptance probabilities", "large enough to fill a batch "
                       f"(two whole passes in a row, none accepted, each expecting fewer than {HOPELESS:g} "
                       "acceptances, stop it)", f"{expected:.3g} acceptances expected over the {dry} candidates of "
                       f"pass {this_pass}", "With AutoAssist, set base_prob above 0 (or give the Assistant positive "
                       "scores); with a selector of your own, accept some candidates.")
        return keep, weight

    def _assemble(self, step: int) -> Batch:
        start, cpu = time.perf_counter(), time.thread_time()
        # what is decided now begins to be trained at this step (a batcher decides only when its queue cannot fill
        # the batch); a pool batcher cuts its pool short of the selector's next change of rule
        self.selector.set_step(step)
        ahead = [change - step for change in self.selector.rule_changes() if change > step]
        self.batcher.limit_next_pool(min(ahead) if ahead else None)
        self._dry = (-1, 0, 0.0, 0)  # dry passes are counted while one batch is assembled (see _decide)
        parts = self.batcher.next_parts(self.stream, self._decide)
        scanned, accepted = self.batcher.take_counts()  # final decisions only
        self.stats.scanned += scanned
        self.stats.accepted += accepted
        indices = parts[self.rank][0]
        self.stats.selector_seconds += time.perf_counter() - start
        self.stats.selector_cpu_seconds += time.thread_time() - cpu
        every = [i for i, _ in parts]
        bounds = np.cumsum([0] + [len(i) for i in every])
        all_weights = np.concatenate([w for _, w in parts])
        if self.selector.normalize_weights:
            all_weights = normalized(all_weights, self.selector)
        return Batch(step, indices.copy(), all_weights[bounds[self.rank]:bounds[self.rank + 1]].copy(),
                     self.stream.position, np.concatenate(every), all_weights, bounds, (scanned, accepted))

    # ------------------------------------------------------------------ the Boss's side
    def next_batch(self) -> Batch:
        """The next batch in step order; assembles it on demand (see the module docstring)."""
        start = time.perf_counter()
        with self.cond:
            self._raise_error()
            if not self.ready:
                j = self.next_step
                if self.ledger.finalized < j - self.lag + 1:
                    self.caps[j] = self.ledger.finalized
                    self.cond.notify_all()
        if not self.asynchronous:
            self._inline_since_stop = True
            while True:
                with self.cond:
                    if self.ready:
                        return self.ready.popleft()
                    action = self._action()
                self._work(action)
        self.start()
        with self.cond:
            while not self.ready:
                self._raise_error()
                if self._thread is None:
                    raise RuntimeError("the batch generator's worker thread is not running")
                self.cond.wait(timeout=0.1)
            batch = self.ready.popleft()
            self.cond.notify_all()
        self.stats.wait_seconds += time.perf_counter() - start
        return batch

    def feedback_arrived(self) -> None:
        """Wake the worker after a report (inline mode learns when the next batch is asked for)."""
        if self.asynchronous:
            with self.cond:
                self.cond.notify_all()

    def quiesce(self) -> None:
        """Wait until the worker is between two units of work (caller then holds ``cond`` to snapshot)."""
        while self.busy:
            self.cond.wait(timeout=0.1)

    # ------------------------------------------------------------------ the worker thread
    def start(self) -> None:
        """Start the worker thread (asynchronous mode) if it is not running."""
        with self.cond:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop = False
            self.busy = False
            self._thread = threading.Thread(target=self._main, name="autoassist-assembler", daemon=True)
            _LIVE.add(self)
            self._thread.start()

    def stop(self, drain: bool = True) -> None:
        """Stop and join the worker thread (safe to call twice, from any thread but the worker's).

        With an exchange and ``drain``, the worker first exchanges the steps that are final now, so
        that every rank takes part in the same collectives (see the module docstring); ``drain=False``
        (after an error on this rank) stops after the current unit of work.
        """
        with self.cond:
            thread, self._thread = self._thread, None
            self._stop = True
            self._drain_to = self.ledger.finalized if drain and self.exchange is not None else 0
            self._agree = drain and self.exchange is not None
            self.cond.notify_all()
            if not self.asynchronous and self._agree and self._inline_since_stop and self.error is None:
                self._inline_since_stop = False
                self._settle_or_keep_error()  # inline: the Boss's thread exchanges and agrees itself
            elif not drain:  # stopped after an error on this rank: a later stop (a close() in a finally, the
                self._inline_since_stop = False  # iterator's end) must not wait for the other ranks either
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        if isinstance(self.error, RanksDisagree) and not self._warned_disagree:  # raised at the next batch too
            self._warned_disagree = True
            warnings.warn(str(self.error), RuntimeWarning, stacklevel=3)

    def _settle_or_keep_error(self) -> None:
        try:
            self.settle()
        except RanksDisagree as error:
            self.error = error

    def _must_drain(self) -> bool:
        return self.exchange is not None and bool(self.ledger.final) and self.ledger.final[0][0] < self._drain_to

    def settle(self) -> None:
        """Exchange every final step now (caller holds ``cond``): all ranks then hold the same feedback.

        A collective under DDP: every rank calls it at the same point of its loop (``state_dict``).
        """
        if self.exchange is None:
            return
        target = self.ledger.finalized
        while True:
            self.quiesce()
            self._raise_error()
            if not self.ledger.final or self.ledger.final[0][0] >= target:
                break
            if self._thread is not None and self._thread.is_alive():
                self.cond.wait(timeout=0.1)  # the worker exchanges final steps eagerly
                continue
            self.exchanged.append(self._exchange(*self.ledger.pop_final()))
        self._agree_on(target)

    def _agree_on(self, final_steps: int) -> None:
        """Check with the other ranks that each has the feedback of ``final_steps`` steps final (a collective)."""
        agree = getattr(self.exchange, "agree", None)
        if agree is not None:
            agree(final_steps)

    def _raise_error(self) -> None:
        if isinstance(self.error, RanksDisagree):
            raise RanksDisagree(str(self.error)) from self.error
        if isinstance(self.error, ParameterError):  # what inline mode raises (a selector's bad decision): the same
            raise ParameterError(str(self.error)) from self.error
        if self.error is not None:
            raise RuntimeError("the batch generator's worker thread failed; this generator cannot continue") \
                from self.error

    def _main(self) -> None:
        # numpy's BLAS threads would spin on the cores the Boss uses: the worker computes on one thread.
        try:
            with threadpool_limits(limits=1, user_api="blas"):
                while True:
                    with self.cond:
                        while True:
                            if self._stop:
                                action = "exchange" if self._must_drain() else "agree" if self._agree else "return"
                                break
                            action = self._action()
                            if action != "wait":
                                break
                            self.cond.wait(timeout=0.5)
                        if action == "return":
                            return
                        self.busy = True
                    try:
                        if action == "agree":
                            self._agree_on(self._drain_to)
                            return
                        self._work(action)
                    finally:
                        with self.cond:
                            self.busy = False
                            self.cond.notify_all()
        except BaseException as error:  # surfaced on the Boss's thread at the next batch
            with self.cond:
                self.error = error
                self.cond.notify_all()

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        return {"next_step": self.next_step, "learned": self.learned,
                "caps": {int(k): int(v) for k, v in self.caps.items()},
                "exchanged": [(s, i.copy(), l.copy()) for s, i, l in self.exchanged],
                "stats": [self.stats.scanned, self.stats.accepted, self.stats.nonfinite_losses,
                          self.stats.selector_seconds, self.stats.selector_cpu_seconds, self.stats.wait_seconds,
                          self.stats.exchange_seconds, self.stats.exchanges]}

    def load_state_dict(self, state: dict[str, Any], ready: list[Batch]) -> None:
        self.next_step = int(state["next_step"])
        self.learned = int(state["learned"])
        self.caps = {int(k): int(v) for k, v in state["caps"].items()}
        s = state["stats"]
        self.stats = AssemblyStats(int(s[0]), int(s[1]), int(s[2]), float(s[3]), float(s[4]), float(s[5]),
                                   float(s[6]), int(s[7]) if len(s) > 7 else 0)
        self.exchanged = deque((int(st), np.asarray(i, dtype=np.int64), np.asarray(l, dtype=np.float64))
                               for st, i, l in state.get("exchanged", []))
        self.ready = deque(ready)
        self.error = None
