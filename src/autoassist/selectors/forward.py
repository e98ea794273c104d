"""The forward filter: forward selectors (Selective Backprop, the oracle) in a user's own loop.

A forward selector decides from the Boss's *current* losses of a candidate batch (a no-grad
forward). The loop scores each candidate batch of a uniform stream and hands ``(idx, losses)`` to
:meth:`ForwardFilter.offer`, which draws the acceptance coins, gathers the accepted instances into
full batches and hands them out one at a time; a selector that learns from feedback (the oracle)
gets the trained batches' losses through :meth:`ForwardFilter.observe`::

    candidates = AutoAssist(train_set, batch_size=64, seed=0, selector=UniformSelector())
    filt = ForwardFilter(SelectiveBackpropSelector(beta=3.0), batch_size=64, seed=0)
    for idx, (x, y) in candidates.loader():
        with torch.no_grad():
            scores = F.cross_entropy(model(x), y, reduction="none")
        for batch_idx, weights in filt.offer(idx, scores):
            ...                                  # forward + backward on batch_idx
            filt.observe(batch_idx, losses)      # feedback (the oracle learns its threshold from it)

A checkpoint holds ``candidates.state_dict()`` and ``filt.state_dict()``: full batches not trained yet
(one candidate batch can fill several; a batch counts as trained once observed, or, in a loop that
never observes, once handed out) and accepted instances short of a full batch are kept. After
``load_state_dict``, train the batches it kept first (``for batch_idx, weights in filt.pending():
...``), before scoring the next candidates, as the uninterrupted run did: the resumed run then equals
it. (The candidate batch being scored at the save is the candidates' own: a loop that does not report
candidates counts it as trained once handed, so save after ``offer``, not between the loader and it.)
At the end of training the instances short of a full batch stay untrained, as a DataLoader's
``drop_last``.

Under DDP (a torch.distributed process group of several ranks) every rank scores its own candidates
and every call of :meth:`offer` and :meth:`observe` gathers all ranks' ``(idx, losses)`` (a collective,
over :class:`~autoassist.distributed.FeedbackExchange`): every rank decides on the global candidate
batch with the same coins and fills the same global batches of ``batch_size * world_size``, of which
it trains its own slice, so every rank takes the same number of steps (a DDP all-reduce never waits
for a rank that has no batch). Every rank must call them at the same points.
"""

from __future__ import annotations

import warnings
from collections import deque
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from autoassist._errors import ParameterError, ParameterTypeError, check_int, fail
from autoassist._state import from_saved, to_saveable
from autoassist.batching import CountBatcher
from autoassist.distributed import FeedbackExchange, check_same_on_every_rank, resolve, scalar_settings
from autoassist.feedback import MAX_OUTSTANDING, as_index_array, copy_losses, loss_array
from autoassist.selectors.base import Selector, checked_decision, normalized

if TYPE_CHECKING:  # protocols imports the selectors' base, which imports this module's package
    from autoassist.protocols import ForwardSelector

_LOSS_FIX = 'Compute the losses with reduction="none", e.g. F.cross_entropy(out, y, reduction="none").'


class ForwardFilter:
    """Accumulates the instances a forward selector accepts into full batches (see the module docstring).

    Args:
        selector: a forward selector instance (``needs_boss_losses=True``).
        batch_size: instances per batch (per rank under DDP).
        seed: the acceptance coins' seed (a private generator).
        rank, world_size, exchange: several processes, as :class:`~autoassist.AutoAssist` takes them: by
            default from an initialised process group, with an exchange of every rank's candidates
            (creating it is then a collective: every rank builds its ForwardFilter at the same point).
    """

    def __init__(self, selector: ForwardSelector, batch_size: int, seed: int = 0, *, rank: int | None = None,
                 world_size: int | None = None, exchange: FeedbackExchange | bool | None = None) -> None:
        if isinstance(selector, type) or not callable(getattr(selector, "decide_from_losses", None)):
            raise ParameterTypeError(f"selector must be a selector instance; got {selector!r}. Pass one, e.g. "
                                     "ForwardFilter(SelectiveBackpropSelector(beta=3.0), batch_size=64).")
        if not getattr(selector, "needs_boss_losses", False):
            raise fail("selector", "a forward selector (needs_boss_losses=True)", type(selector).__name__,
                       "Stream selectors go to the batch generator (AutoAssist(selector=...)), not to ForwardFilter.")
        self.selector = selector
        self.batch_size = check_int("batch_size", batch_size, minimum=1, fix="Use for example batch_size=128.")
        seed = check_int("seed", seed, minimum=0, fix="Use a non-negative seed, e.g. seed=0.")
        self.rank, self.world_size, self.exchange = resolve(rank, world_size, exchange, self.batch_size)
        if self.world_size > 1 and self.exchange is None:
            raise fail("exchange", "a FeedbackExchange when world_size > 1", exchange,
                       "Initialise torch.distributed first and leave exchange unset: without the ranks' candidates "
                       "gathered, ranks would fill batches at their own pace and a DDP step would wait forever.")
        self._rng = np.random.default_rng([seed, 0xF0F0])
        self._batcher = CountBatcher(self.batch_size, self.world_size)
        self._ready: deque[tuple[np.ndarray, np.ndarray]] = deque()  # full global batches not handed out yet
        # handed out, not observed yet (as many as the batch generator's ledger keeps waiting for a report)
        self._unobserved: deque[tuple[np.ndarray, np.ndarray]] = deque(maxlen=MAX_OUTSTANDING)
        self._part = slice(self.rank * self.batch_size, (self.rank + 1) * self.batch_size)  # this rank's slice
        self._calls = 0  # offer() and observe() calls: the exchange's step numbers, equal on every rank
        self._learns = getattr(type(selector), "observe", None) is not Selector.observe
        self.scanned = 0
        self.accepted = 0
        self.handed = 0  # batches handed out
        self.observed = 0  # observe() calls
        self.nonfinite_losses = 0
        self.unmatched_observes = 0  # observe() calls whose instances were no batch waiting for feedback
        self._warned: set[str] = set()
        self._restored = False  # loaded with batches to train before the next candidates are scored
        if self.exchange is not None:
            self._check_ranks_agree(seed)

    def offer(self, indices: Any, losses: Any) -> Handout:
        """Decide on one candidate batch (its ``idx`` and no-grad losses of shape (B,), tensors or arrays).

        Returns an iterator over the full batches now ready, ``(instance indices, loss weights)`` of this
        rank, maybe none (``len()`` says how many are left); each is handed out as the loop asks for it,
        and those the loop has not taken come first from the next ``offer`` (and are kept by
        :meth:`state_dict`). Everything is checked before anything is decided.
        """
        idx, values = self._checked(indices, losses, finite=True)
        if self._restored and self._ready:
            self._warn_once(f"the loaded state held {len(self._ready)} full batches not trained yet; they come "
                            "first, but these candidates were scored before training them, which the uninterrupted "
                            "run did after. Train them first after load_state_dict: for batch_idx, weights in "
                            "filt.pending(): ...")
        self._restored = False
        if self.exchange is not None:
            idx, values = self.exchange(2 * self._calls, idx, values)  # even: an offer; odd: an observe
        self._calls += 1
        prob, weight = checked_decision(self.selector.decide_from_losses(idx, values), len(idx), self.selector)
        keep = self._rng.random(len(idx)) < prob
        self.scanned += len(idx)
        self.accepted += int(keep.sum())
        self._batcher.add(idx[keep], weight[keep])
        while self._batcher.missing() == 0:
            parts = self._batcher.pop()
            every, weights = np.concatenate([i for i, _ in parts]), np.concatenate([w for _, w in parts])
            if self.selector.normalize_weights:
                weights = normalized(weights, self.selector)
            self._ready.append((every, weights))
        # the selector's own count where it keeps one: feedback given to it directly counts too
        fed = self.observed or getattr(self.selector, "feedback_batches", 0)
        if self._learns and self.handed >= 2 and not fed:
            self._warn_once(f"{type(self.selector).__name__} learns from the trained batches' losses, but "
                            "observe() was never called: its decisions use no feedback. Call "
                            "filt.observe(batch_idx, losses) after each trained batch.")
        return Handout(self)

    def pending(self) -> Handout:
        """The full batches not handed out yet (after ``load_state_dict``: train them before the next ``offer``)."""
        return Handout(self)

    def _next_batch(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Hand out the next full batch (this rank's slice), or None."""
        if not self._ready:
            return None
        every, weights = self._ready.popleft()
        self._unobserved.append((every, weights))
        self.handed += 1
        return every[self._part].copy(), weights[self._part].copy()

    def observe(self, indices: Any, losses: Any) -> None:
        """Feedback: the per-instance losses of a trained batch (tensors or arrays, shape (B,)); under DDP every
        rank's, gathered. Non-finite losses are kept out (counted in ``nonfinite_losses``, said once)."""
        idx, values = self._checked(indices, losses, finite=False)
        if not self._settle(idx):
            self.unmatched_observes += 1
            self._warn_once("observe() got instances that are no handed-out batch still waiting for its feedback (a "
                            "batch observed twice, part of one, or one this filter did not hand out); its losses are "
                            "learned all the same (counted in filt.unmatched_observes). Observe each trained batch "
                            "once, with the batch_idx it was handed out with.")
        if not self._learns:
            self.observed += 1
            return
        if self.exchange is not None:
            idx, values = self.exchange(2 * self._calls + 1, idx, values)  # a rank that skipped one meets an offer
        self._calls += 1
        finite = np.isfinite(values)
        if not finite.all():
            self.nonfinite_losses += int((~finite).sum())
            self._warn_once("non-finite losses were observed; they are kept out of the selector's feedback "
                            "(counted in filt.nonfinite_losses).")
            idx, values = idx[finite], values[finite]
        if len(idx):
            self.selector.observe(idx, values)
        self.observed += 1

    def _settle(self, idx: np.ndarray) -> bool:
        """The handed-out batch these instances are (and any handed out before it) is trained; whether they are one."""
        for n, (every, _) in enumerate(self._unobserved):
            if np.array_equal(every[self._part], idx):
                for _ in range(n + 1):
                    self._unobserved.popleft()
                return True
        return False

    def _check_ranks_agree(self, seed: int) -> None:
        """Every rank must build its filter alike (a collective): a seed per rank, or another setting, would make
        the ranks fill batches at their own pace."""
        assert self.exchange is not None
        settings = scalar_settings(self.selector)
        check_same_on_every_rank(self.exchange.gather_objects, {**self._config(), "seed": seed,
                                                                 "selector_settings": settings},
                                 "Build it with the same selector, batch_size and seed on every rank.",
                                 subject="ForwardFilter settings")

    def _checked(self, indices: Any, losses: Any, finite: bool) -> tuple[np.ndarray, np.ndarray]:
        """``(indices, losses)`` as int64 and float64 arrays of shape (B,), or a clear error."""
        if isinstance(indices, str) or not isinstance(indices, (torch.Tensor, np.ndarray, list, tuple, range)):
            raise ParameterTypeError(f"indices must be the candidates' idx (a tensor, array or list of ints); got "
                                     f"{type(indices).__name__}. Pass the idx the candidate loader yielded.")
        if getattr(indices, "dtype", None) in (torch.bool, np.bool_):
            raise ParameterTypeError("indices must be integer instance indices; got a boolean mask. Pass the idx "
                                     "the candidate loader yielded.")
        try:
            idx = as_index_array(indices)
        except ValueError:  # ragged
            raise ParameterTypeError("indices must be integer instance indices, shape (B,). Pass the idx the "
                                     "candidate loader yielded.") from None
        if idx.ndim != 1 or len(idx) == 0:
            raise fail("indices", "a non-empty vector of instance indices, shape (B,)", f"shape {idx.shape}",
                       "Pass the idx the candidate loader yielded with the batch.")
        if idx.min() < 0:
            raise fail("indices", "non-negative instance indices", int(idx.min()),
                       "Pass the idx the candidate loader yielded with the batch.")
        shape, copy = copy_losses(losses)
        if shape != (len(idx),):
            raise fail("losses", f"per-instance losses of shape ({len(idx)},)", f"shape {shape}", _LOSS_FIX)
        values = loss_array(copy)
        if finite and not np.isfinite(values).all():
            raise fail("losses", "finite", f"{int((~np.isfinite(values)).sum())} non-finite values",
                       "Check the Boss for divergence (learning rate too high?).")
        return idx, values

    def _warn_once(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            warnings.warn(message, RuntimeWarning, stacklevel=3)

    @property
    def keep_rate(self) -> float:
        return self.accepted / self.scanned if self.scanned else 1.0

    def _config(self) -> dict[str, Any]:
        return {"selector": self.selector.name, "batch_size": self.batch_size, "world_size": self.world_size}

    def _not_trained(self) -> list[tuple[np.ndarray, np.ndarray]]:
        # a loop that observes trains a batch before observing it; one that never observes, once handed out
        return (list(self._unobserved) if self.observed else []) + list(self._ready)

    def state_dict(self) -> dict[str, Any]:
        """Tensors and Python numbers only (``torch.load`` reads it with ``weights_only=True``); any rank's state
        restores every rank (the batches kept are global)."""
        return to_saveable({
            "config": self._config(),
            "rng": self._rng.bit_generator.state,
            "batcher": self._batcher.state_dict(),
            "ready": [{"indices": i.copy(), "weights": w.copy()} for i, w in self._not_trained()],
            "calls": self._calls,
            "counters": [self.scanned, self.accepted, self.handed, self.observed, self.nonfinite_losses,
                         self.unmatched_observes],
            "selector": self.selector.state_dict(),
        })

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned; a state of another selector or setting is refused before
        anything changes."""
        if not isinstance(state, dict) or "batcher" not in state:
            raise fail("state", "what ForwardFilter.state_dict() returned", type(state).__name__,
                       "Pass the entry of the checkpoint that holds filt.state_dict().")
        state = from_saved(state)
        saved = state.get("config")  # states saved before it was kept: not checked
        if saved is not None and dict(saved) != self._config():
            raise ParameterError(f"state must be saved from a ForwardFilter with the same settings; got "
                                 f"{saved}, here {self._config()}. Build it with the saved selector and batch size.")
        try:  # everything read before anything changes
            rng = np.random.default_rng()
            rng.bit_generator.state = state["rng"]
            batcher = CountBatcher(self.batch_size, self.world_size)
            batcher.load_state_dict(state["batcher"])
            ready = deque((np.asarray(b["indices"], dtype=np.int64).copy(),
                           np.asarray(b["weights"], dtype=np.float64).copy()) for b in state.get("ready", []))
            calls = int(state.get("calls", 0))
            counters = state["counters"] if "counters" in state else [state["scanned"], state["accepted"], 0, 0, 0]
            scanned, accepted, handed, observed, nonfinite, unmatched = (int(v) for v in [*counters, 0][:6])
        except (KeyError, IndexError, TypeError, ValueError) as error:
            raise fail("state", "what ForwardFilter.state_dict() returned", f"one it cannot read ({error!r})",
                       "Pass the entry of the checkpoint that holds filt.state_dict().") from None
        before = self.selector.state_dict()
        try:
            self.selector.load_state_dict(state["selector"])
        except (KeyError, IndexError, TypeError, ValueError) as error:
            self.selector.load_state_dict(before)
            raise fail("state", f"a state of this selector ({self.selector.name})", "one it cannot load",
                       f"({error}) Build the ForwardFilter with the selector that saved it.") from None
        self._rng, self._batcher, self._ready = rng, batcher, ready
        self._unobserved.clear()
        self._calls, self._restored = calls, bool(ready)
        self.scanned, self.accepted, self.handed, self.observed, self.nonfinite_losses, self.unmatched_observes = (
            scanned, accepted, handed, observed, nonfinite, unmatched)


class Handout:
    """The full batches :meth:`ForwardFilter.offer` made ready: an iterator that hands them out one at a time
    (``len()``: how many are left; those not taken come first from the filter's next hand-out)."""

    def __init__(self, filt: ForwardFilter) -> None:
        self._filt = filt

    def __iter__(self) -> Handout:
        return self

    def __next__(self) -> tuple[np.ndarray, np.ndarray]:
        batch = self._filt._next_batch()
        if batch is None:
            raise StopIteration
        return batch

    def __len__(self) -> int:
        return len(self._filt._ready)
