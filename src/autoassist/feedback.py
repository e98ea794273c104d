"""The feedback ledger: matches each ``report`` to the batch it belongs to, and orders feedback by step.

Every yielded batch is *outstanding* until it is *final*. A report (the whole batch, or a part of it:
micro-batches of gradient accumulation) is checked completely before anything is recorded, then
matched to the oldest outstanding batch that contains its instances. A batch becomes final when all
its instances were reported, or when a later batch gets a report (the Boss has moved on): what was
reported of it is kept, and a batch with no report at all is counted in ``steps_unreported``. A
report of a batch that is already final is counted in ``duplicate_reports`` and not learned twice.

Final feedback is handed to the Assistant strictly in step order (:meth:`pop_final`), which is what
makes the asynchronous batch generator a function of its seed.
"""

from __future__ import annotations

from collections import deque
from itertools import chain
from typing import Any

import numpy as np
import torch

from autoassist._errors import ParameterTypeError, fail
from autoassist.batching import Batch

MAX_OUTSTANDING = 1024  # batches that may wait for their report (a few MB), far beyond any DataLoader's prefetch
_LOSS_FIX = 'Compute the loss with reduction="none", e.g. F.cross_entropy(out, y, reduction="none").'


def as_index_array(indices: Any) -> np.ndarray:
    """The ``idx`` of a batch (tensor, array or list of ints) as a 1-D int64 array (a copy).

    A boolean mask is refused (read as 0/1 it would name instances 0 and 1)."""
    if getattr(indices, "dtype", None) in (torch.bool, np.bool_) or (
            isinstance(indices, (list, tuple)) and indices and all(isinstance(i, (bool, np.bool_)) for i in indices)):
        raise ParameterTypeError("indices must be integer instance indices; got a boolean mask. Report the idx that "
                                 "the loader yielded with the batch.")
    if isinstance(indices, torch.Tensor):
        if indices.is_floating_point() or indices.is_complex():
            raise ParameterTypeError(f"indices must be integer instance indices; got a {indices.dtype} tensor. "
                                     "Report the idx that the loader yielded with the batch.")
        return indices.detach().to("cpu", torch.int64).numpy().copy()
    arr = np.array(indices)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ParameterTypeError(f"indices must be integer instance indices; got dtype {arr.dtype}. "
                                 "Report the idx that the loader yielded with the batch.")
    return arr.astype(np.int64)


def copy_losses(losses: Any) -> tuple[tuple[int, ...], Any]:
    """Check that ``losses`` are floating-point per-instance losses; return (shape, a detached copy).

    A CPU tensor or array becomes a float64 numpy copy; a tensor on an accelerator is cloned there
    (an asynchronous copy) and moved to the CPU later, off the Boss's critical path.
    """
    if isinstance(losses, torch.Tensor):
        if not losses.is_floating_point():
            raise ParameterTypeError(f"losses must be floating-point per-instance losses; got a {losses.dtype} "
                                     f"tensor (labels or predictions?). {_LOSS_FIX}")
        if losses.device.type != "cpu":
            return tuple(losses.shape), losses.detach().clone()
        return tuple(losses.shape), losses.detach().to("cpu", torch.float64, copy=True).numpy()
    if isinstance(losses, np.ndarray):
        if not np.issubdtype(losses.dtype, np.floating):
            raise ParameterTypeError(f"losses must be floating-point per-instance losses; got dtype {losses.dtype}. "
                                     f"{_LOSS_FIX}")
        return losses.shape, losses.astype(np.float64, copy=True)
    raise ParameterTypeError(f"losses must be a tensor of per-instance losses of shape (B,); got "
                             f"{type(losses).__name__}. {_LOSS_FIX}")


def loss_array(losses: Any) -> np.ndarray:
    """A recorded loss copy as float64 numpy (moves an accelerator copy to the CPU)."""
    if isinstance(losses, torch.Tensor):
        return losses.to("cpu", torch.float64).numpy()
    return np.asarray(losses, dtype=np.float64)


class _Pending:
    """A yielded batch waiting for its feedback."""

    __slots__ = ("batch", "unique", "left", "pieces")

    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.unique, counts = np.unique(batch.indices, return_counts=True)
        self.left = counts
        self.pieces: list[tuple[np.ndarray, Any]] = []

    def positions(self, idx: np.ndarray) -> np.ndarray | None:
        """Where ``idx``'s distinct instances sit in ``unique``, if ``idx`` is a part of what is left."""
        u, c = np.unique(idx, return_counts=True)
        pos = np.searchsorted(self.unique, u)
        if np.any(pos >= len(self.unique)) or np.any(self.unique[np.minimum(pos, len(self.unique) - 1)] != u):
            return None
        if np.any(self.left[pos] < c):
            return None
        return pos

    def weights_of(self, idx: np.ndarray) -> np.ndarray:
        order = np.argsort(self.batch.indices, kind="stable")
        sorted_idx = self.batch.indices[order]
        return self.batch.weights[order][np.searchsorted(sorted_idx, idx)]


class FeedbackLedger:
    """Outstanding batches, final feedback in step order, and the counters users read in ``stats()``."""

    def __init__(self, num_instances: int, remember: int = 64) -> None:
        self.num_instances = num_instances
        self.outstanding: dict[int, _Pending] = {}
        self.final: deque[tuple[int, np.ndarray, Any]] = deque()
        self.finalized = 0  # steps [0, finalized) are final
        self.consumed = 0  # 1 + the latest step that got a report: what the Boss has trained on
        self.any_report = False
        # 1 + the latest step AutoAssist's loader handed to the loop (None: a loader that does not count them)
        self.handed: int | None = None
        self.recent: deque[Batch] = deque(maxlen=remember)
        self.steps_unreported = 0
        self.duplicate_reports = 0
        self.feedback_batches = 0
        self.feedback_instances = 0

    def expect(self, batch: Batch) -> None:
        """Register a batch as it is yielded to the Boss.

        At most ``MAX_OUTSTANDING`` batches wait for feedback: a loop that does not report (a baseline
        that needs no feedback) would otherwise keep every batch it was ever given. A reporting loop
        never comes near it (each report makes the older batches final; a DataLoader fetches a few
        dozen ahead at most); beyond it the oldest becomes final, unreported.
        """
        self.outstanding[batch.step] = _Pending(batch)
        while len(self.outstanding) > MAX_OUTSTANDING:
            self._finalize(min(self.outstanding))

    def check(self, indices: Any, losses: Any) -> tuple[np.ndarray, Any, int | None, np.ndarray]:
        """Validate a report completely; return (indices, loss copy, matched step or None, weights).

        ``None`` as the step means the batch was already final (a duplicate report). Raises before
        anything is recorded.
        """
        shape, loss_copy = copy_losses(losses)
        if len(shape) == 2 and shape[1] == 1:  # e.g. mse_loss(out, y, reduction="none") of a (B, 1) output
            raise fail("losses", "a vector of per-instance losses of shape (B,)", f"shape {shape}",
                       "Drop the last dimension: losses.squeeze(1).")
        if len(shape) != 1:
            sentences = (" For sequences, give each sentence's mean token loss: losses = token.sum(1) / "
                         "(target != pad_id).sum(1), or autoassist.losses.sequence_losses(logits, target, pad_id)."
                         if len(shape) == 2 else "")
            raise fail("losses", "a vector of per-instance losses of shape (B,)", f"shape {shape}",
                       _LOSS_FIX + sentences)
        idx = as_index_array(indices)
        if idx.ndim != 1 or len(idx) != shape[0]:
            raise fail("indices", f"of the same length as losses ({shape[0]})", f"shape {idx.shape}",
                       "Report the idx of the same batch the losses come from.")
        if len(idx) == 0:
            raise fail("indices", "non-empty", "an empty batch", "Report the idx and losses of a batch you trained on.")
        if idx.min() < 0 or idx.max() >= self.num_instances:
            bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
            raise fail("indices", f"in [0, {self.num_instances})", bad,
                       "Use the idx yielded by IndexedDataset for this training set.")
        for step, pending in self.outstanding.items():
            if pending.positions(idx) is not None:
                return idx, loss_copy, step, pending.weights_of(idx)
        for batch in reversed(self.recent):
            if set(idx.tolist()) <= set(batch.indices.tolist()):
                return idx, loss_copy, None, _Pending(batch).weights_of(idx)
        raise fail("indices", "the idx of a batch this generator yielded", f"{len(idx)} indices that match none",
                   "Report the idx that came with the batch, before moving more than 64 steps ahead.")

    def record(self, idx: np.ndarray, loss_copy: Any, step: int | None) -> None:
        """Record a report that :meth:`check` accepted."""
        if step is None:
            self.duplicate_reports += 1
            return
        self.any_report = True
        self.consumed = max(self.consumed, step + 1)
        for older in [s for s in self.outstanding if s < step]:
            self._finalize(older)
        pending = self.outstanding[step]
        pos = pending.positions(idx)
        assert pos is not None  # checked by check()
        _, counts = np.unique(idx, return_counts=True)
        pending.left[pos] -= counts
        pending.pieces.append((idx, loss_copy))
        if not pending.left.any():
            self._finalize(step)

    def _finalize(self, step: int) -> None:
        pending = self.outstanding.pop(step)
        self.recent.append(pending.batch)
        if pending.pieces:
            idx = np.concatenate([p[0] for p in pending.pieces])
            first = pending.pieces[0][1]
            losses: Any = (torch.cat([p[1] for p in pending.pieces]) if isinstance(first, torch.Tensor)
                           else np.concatenate([p[1] for p in pending.pieces]))
            self.feedback_batches += 1
            self.feedback_instances += len(idx)
        else:
            self.steps_unreported += 1
            idx, losses = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
        self.final.append((step, idx, losses))
        self.finalized = step + 1

    def pop_final(self) -> tuple[int, np.ndarray, Any]:
        """The oldest final feedback not yet learned (the caller checks there is one)."""
        return self.final.popleft()

    def unconsumed(self, reports_expected: bool = False) -> list[Batch]:
        """Yielded batches the Boss has not reported yet.

        Before the first report, unless ``reports_expected``, a loop that never reports trains on what it
        is given: the batches not handed to it yet (fetched ahead by a DataLoader's workers) are returned,
        or none where the loader does not count what it hands out.
        """
        if self.any_report or reports_expected:
            first = self.consumed
        elif self.handed is not None:
            first = self.handed
        else:
            return []
        return [p.batch for s, p in self.outstanding.items() if s >= first]

    def take_back(self, replay: list[Batch]) -> None:
        """These batches (from :meth:`unconsumed`) are yielded again: not outstanding, and not handed out yet."""
        for batch in replay:
            del self.outstanding[batch.step]
        if replay and self.handed is not None:
            self.handed = min(self.handed, replay[0].step)

    def position_before(self, step: int) -> float | None:
        """The stream position after step ``step - 1``'s batch, where the ledger still holds it (0 before step 0)."""
        if step == 0:
            return 0.0
        held = self.outstanding.get(step - 1)
        if held is not None:
            return held.batch.position
        return next((b.position for b in self.recent if b.step == step - 1), None)

    def decided_from(self, step: int) -> tuple[int, int]:
        """Candidates scanned and accepted for the outstanding batches from step ``step`` on (yielded, not yet
        handed to the loop: fetched ahead by a DataLoader's workers)."""
        ahead = [p.batch.decided for s, p in self.outstanding.items() if s >= step]
        return sum(d[0] for d in ahead), sum(d[1] for d in ahead)

    def hand(self, indices: np.ndarray) -> Batch | None:
        """The loader handed the loop the outstanding batch of these instances (the oldest such); return it."""
        after = self.handed or 0
        expected = self.outstanding.get(after)  # in order, the loader hands the batch after the last one
        later = (p for s, p in self.outstanding.items() if s > after)
        for pending in chain([expected] if expected is not None else [], later):
            if np.array_equal(pending.batch.indices, indices):
                self.handed = pending.batch.step + 1
                return pending.batch
        return None

    def state_dict(self, skip_from: int) -> dict[str, Any]:
        """State without the outstanding batches from step ``skip_from`` on (they are replayed instead)."""
        return {
            "outstanding": [{"batch": p.batch.to_state(), "left": p.left.copy(),
                             "pieces": [(i.copy(), loss_array(l).copy()) for i, l in p.pieces]}
                            for s, p in self.outstanding.items() if s < skip_from],
            "final": [(s, i.copy(), loss_array(l).copy()) for s, i, l in self.final],
            "finalized": self.finalized, "consumed": self.consumed, "any_report": self.any_report,
            "handed": -1 if self.handed is None else min(self.handed, skip_from),  # replayed: not handed out yet
            "recent": [b.to_state() for b in self.recent],
            "counters": [self.steps_unreported, self.duplicate_reports, self.feedback_batches,
                         self.feedback_instances],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.outstanding = {}
        for item in state["outstanding"]:
            pending = _Pending(Batch.from_state(item["batch"]))
            pending.left = np.asarray(item["left"], dtype=np.int64).copy()
            pending.pieces = [(np.asarray(i, dtype=np.int64), np.asarray(l, dtype=np.float64)) for i, l in item["pieces"]]
            self.outstanding[pending.batch.step] = pending
        self.final = deque((int(s), np.asarray(i, dtype=np.int64), np.asarray(l, dtype=np.float64))
                           for s, i, l in state["final"])
        self.finalized = int(state["finalized"])
        self.consumed = int(state["consumed"])
        self.any_report = bool(state["any_report"])
        handed = int(state.get("handed", -1))  # states saved before it was kept: not counted
        self.handed = None if handed < 0 else handed
        self.recent = deque((Batch.from_state(b) for b in state["recent"]), maxlen=self.recent.maxlen)
        (self.steps_unreported, self.duplicate_reports, self.feedback_batches,
         self.feedback_instances) = (int(v) for v in state["counters"])
