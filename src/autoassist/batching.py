"""Batchers: turn a stream of candidates, decided by the selector, into Boss batches.

Every batcher answers :meth:`Batcher.next_parts` (the next global batch, taking and deciding the candidates
it needs) and :meth:`Batcher.take_counts` (the decisions that became final since the last call). A batcher
never drops an accepted instance: what does not fit the current batch is carried to the next one.
:class:`CountBatcher` makes batches of a fixed number of instances and :class:`TokenBatcher` token-bounded
batches (sequences), both from instances decided as they are taken (:class:`DecidedBatcher`);
:class:`~autoassist.fresh_batching.FreshTokenBatcher` decides each batch's candidates as it cuts it.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

import numpy as np

# decide(indices, coins) -> (accepted mask, loss weights): the selector's decision about a chunk
Decide = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
Parts = list[tuple[np.ndarray, np.ndarray]]  # a global batch: one (indices, weights) per rank


class Stream(Protocol):
    """Where candidates come from (:class:`~autoassist.stream.CandidateStream`): ``take`` the next ``count``
    of the current pass with their acceptance coins; ``pass_done`` once it is used up."""

    @property
    def pass_done(self) -> bool: ...

    def take(self, count: int) -> tuple[np.ndarray, np.ndarray]: ...


class Batcher(Protocol):
    """What the assembler asks of a batcher."""

    def next_parts(self, stream: Stream, decide: Decide) -> Parts: ...

    def take_counts(self) -> tuple[int, int]: ...

    def steps_per_pass(self, order: np.ndarray) -> int: ...

    def limit_next_pool(self, steps: int | None) -> None:
        """Candidates decided now must be trained within ``steps`` steps (None: no limit): a batcher that decides
        ahead keeps a pool from straddling a change of the selector's rule."""
        ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


class DecidedBatcher:
    """A batcher fed instances already decided: :meth:`next_parts` takes and decides candidates while the
    next global batch is ``missing`` some, ``add`` s the accepted ones and ``pop`` s the batch."""

    _decided = 0
    _accepted = 0

    def missing(self) -> int:
        raise NotImplementedError

    def add(self, indices: np.ndarray, weights: np.ndarray) -> None:
        raise NotImplementedError

    def end_pass(self) -> None:
        """The stream finished a pass (default: carry on across it)."""

    def pop(self) -> Parts:
        raise NotImplementedError

    def next_parts(self, stream: Stream, decide: Decide) -> Parts:
        """The next global batch as ``parts`` pieces ``(indices, weights)``, deciding what it needs."""
        while (missing := self.missing()) > 0:
            chunk, coins = stream.take(missing)
            keep, weights = decide(chunk, coins)
            keep = np.asarray(keep, dtype=bool)
            self._decided += len(chunk)
            self._accepted += int(keep.sum())
            self.add(chunk[keep], np.asarray(weights, dtype=np.float64)[keep])
            if stream.pass_done:
                self.end_pass()
        return self.pop()

    def take_counts(self) -> tuple[int, int]:
        """Candidates decided and accepted since the last call (every decision here is final)."""
        counts = (self._decided, self._accepted)
        self._decided, self._accepted = 0, 0
        return counts


def count_steps(num_instances: int, size: int, parts: int = 1) -> int:
    """Global batches of ``size * parts`` instances in one unfiltered pass of ``num_instances``, the last partial."""
    return -(-num_instances // (size * parts))


class CountBatcher(DecidedBatcher):
    """Global batches of exactly ``size * parts`` accepted instances, in acceptance order, cut in ``parts``.

    Part ``r`` (rank ``r`` under DDP) is the slice ``[r * size, (r + 1) * size)``.
    """

    def __init__(self, size: int, parts: int = 1) -> None:
        self.size = int(size)
        self.parts = int(parts)
        self._idx = np.empty(0, dtype=np.int64)
        self._w = np.empty(0, dtype=np.float64)

    def steps_per_pass(self, order: np.ndarray) -> int:
        """Global batches of one unfiltered pass over ``order``, the last one partial (an epoch's length)."""
        return count_steps(len(order), self.size, self.parts)

    def limit_next_pool(self, steps: int | None) -> None:
        """Candidates are decided as the batch that takes them is assembled: nothing to limit."""

    def missing(self) -> int:
        """How many more accepted instances the next global batch needs (0: one is ready)."""
        return max(0, self.size * self.parts - len(self._idx))

    def add(self, indices: np.ndarray, weights: np.ndarray) -> None:
        """Append accepted instances and their loss weights."""
        self._idx = np.concatenate([self._idx, np.asarray(indices, dtype=np.int64)])
        self._w = np.concatenate([self._w, np.asarray(weights, dtype=np.float64)])

    def pop(self) -> Parts:
        """The next global batch as ``parts`` pieces ``(indices, weights)``; call when ``missing() == 0``."""
        n = self.size * self.parts
        idx, self._idx = self._idx[:n], self._idx[n:]
        w, self._w = self._w[:n], self._w[n:]
        return [(idx[r * self.size:(r + 1) * self.size], w[r * self.size:(r + 1) * self.size])
                for r in range(self.parts)]

    def state_dict(self) -> dict[str, Any]:
        return {"indices": self._idx.copy(), "weights": self._w.copy()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._idx = np.asarray(state["indices"], dtype=np.int64).copy()
        self._w = np.asarray(state["weights"], dtype=np.float64).copy()


def instance_sizes(lengths: np.ndarray) -> np.ndarray:
    """Tokens an instance occupies in a padded batch: its length, or the longer of (source, target)."""
    arr = np.asarray(lengths)
    if arr.ndim == 2:
        arr = arr.max(axis=1)
    return arr.astype(np.int64)


def cut_by_tokens(order: np.ndarray, sizes: np.ndarray, max_tokens: int) -> list[np.ndarray]:
    """Cut ``order`` (already sorted by size) into consecutive runs whose padded size stays within the bound.

    A run's padded size is ``len(run) * max(size in run)``.
    """
    batches: list[np.ndarray] = []
    start, longest = 0, 0
    for pos in range(len(order)):
        size = int(sizes[order[pos]])
        top = max(longest, size)
        if pos > start and (pos - start + 1) * top > max_tokens:
            batches.append(order[start:pos])
            start, top = pos, size
        longest = top
    if len(order) > start:
        batches.append(order[start:])
    return batches


def split_largest(runs: list[tuple[np.ndarray, np.ndarray]]) -> bool:
    """Split the largest run ``(indices, weights)`` in two, in place (the first largest on ties); False, and
    nothing changed, if it holds fewer than two instances. How a pass's last global batch gets a run per rank."""
    k = max(range(len(runs)), key=lambda j: len(runs[j][0]))
    idx, w = runs[k]
    if len(idx) < 2:
        return False
    half = len(idx) // 2
    runs[k:k + 1] = [(idx[:half], w[:half]), (idx[half:], w[half:])]
    return True


POOL_BATCHES = 32  # default pool of a TokenBatcher, in batches' worth of tokens


class TokenPool:
    """What the token batchers share: instance sizes, the bound, the number of parts (ranks), and the pool's size
    in instances (``pool_batches`` batches' worth of tokens at the mean instance size)."""

    def __init__(self, lengths: np.ndarray, max_tokens: int, *, parts: int = 1,
                 pool_batches: int = POOL_BATCHES) -> None:
        self.sizes = instance_sizes(lengths)
        self.max_tokens = int(max_tokens)
        self.parts = int(parts)
        self.pool_batches = int(pool_batches)
        mean = float(self.sizes.mean()) if len(self.sizes) else 1.0
        self.pool_size = max(self.parts, int(pool_batches * max(1.0, self.max_tokens / max(mean, 1.0))))


class TokenBatcher(TokenPool, DecidedBatcher):
    """Token-bounded batches: a pool of accepted instances is sorted by length and cut under ``max_tokens``.

    Accepted instances gather in a pool of about ``pool_batches`` batches' worth of tokens (and at the
    end of every pass, whatever it holds); the pool is sorted by size (ties in acceptance order), cut
    into runs whose padded size ``count * longest`` never exceeds ``max_tokens``, and the runs are
    queued in an order shuffled from ``(seed, pool number)``. Nothing accepted is ever dropped. With
    ``parts`` (ranks), each global batch is ``parts`` consecutive runs of the queue.
    """

    def __init__(self, lengths: np.ndarray, max_tokens: int, *, parts: int = 1, pool_batches: int = POOL_BATCHES,
                 seed: int = 0) -> None:
        super().__init__(lengths, max_tokens, parts=parts, pool_batches=pool_batches)
        self.seed = int(seed)
        self._pool_idx: list[np.ndarray] = []
        self._pool_w: list[np.ndarray] = []
        self._pooled = 0
        self._queue: list[tuple[np.ndarray, np.ndarray]] = []
        self._pools_cut = 0
        self._limit: int | None = None  # steps the pool being gathered may make (set before each assembly)

    def missing(self) -> int:
        if len(self._queue) >= self.parts:
            return 0
        return max(1, self._pool_target() - self._pooled)

    def add(self, indices: np.ndarray, weights: np.ndarray) -> None:
        if len(indices):
            self._pool_idx.append(np.asarray(indices, dtype=np.int64))
            self._pool_w.append(np.asarray(weights, dtype=np.float64))
            self._pooled += len(indices)
        if self._pooled >= self._pool_target():
            self._cut()

    def _pool_target(self) -> int:
        """Instances the pool gathers before it is cut: ``pool_size``, or fewer, to make at most about ``_limit``
        steps (sized low: padding makes a pool's batches more than its tokens suggest, and a pool that falls
        short is followed by another, limited again)."""
        if self._limit is None:
            return self.pool_size
        per_step = self.pool_size * self.parts / max(self.pool_batches, 1)
        return max(self.parts, min(self.pool_size, int(0.8 * self._limit * per_step)))

    def limit_next_pool(self, steps: int | None) -> None:
        """Cut the pool being gathered at about ``steps`` steps' worth (None: a whole pool)."""
        self._limit = None if steps is None else max(1, int(steps))

    def end_pass(self) -> None:
        """Cut whatever the pool holds: batches never mix two passes, and a pass makes a whole number of
        global batches (the largest runs are split in two until the count divides by ``parts``)."""
        self._cut()
        while len(self._queue) % self.parts and split_largest(self._queue):
            pass

    def _cut(self) -> None:
        if not self._pooled:
            return
        idx, w = np.concatenate(self._pool_idx), np.concatenate(self._pool_w)
        self._pool_idx, self._pool_w, self._pooled = [], [], 0
        order = np.argsort(self.sizes[idx], kind="stable")
        runs = cut_by_tokens(order, self.sizes[idx], self.max_tokens)
        shuffle = np.random.default_rng([self.seed, self._pools_cut, 7]).permutation(len(runs))
        self._pools_cut += 1
        self._queue.extend((idx[runs[k]], w[runs[k]]) for k in shuffle)

    def pop(self) -> Parts:
        out, self._queue = self._queue[:self.parts], self._queue[self.parts:]
        return out


    def steps_per_pass(self, order: np.ndarray) -> int:
        """Global batches one unfiltered pass over ``order`` makes (an epoch's length); call on a new batcher,
        which it uses up."""
        pos, count = 0, 0
        while pos < len(order):
            missing = self.missing()
            if missing == 0:
                self.pop()
                count += 1
                continue
            self.add(order[pos:pos + missing], np.ones(len(order[pos:pos + missing])))
            pos += missing
        self.end_pass()
        while self.missing() == 0:
            self.pop()
            count += 1
        return count + (1 if self._queue else 0)

    def state_dict(self) -> dict[str, Any]:
        idx = np.concatenate(self._pool_idx) if self._pool_idx else np.empty(0, dtype=np.int64)
        w = np.concatenate(self._pool_w) if self._pool_w else np.empty(0, dtype=np.float64)
        return {"pool_indices": idx, "pool_weights": w, "pools_cut": self._pools_cut,
                "queue": [(i.copy(), x.copy()) for i, x in self._queue]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        idx = np.asarray(state["pool_indices"], dtype=np.int64).copy()
        w = np.asarray(state["pool_weights"], dtype=np.float64).copy()
        self._pool_idx, self._pool_w, self._pooled = ([idx], [w], len(idx)) if len(idx) else ([], [], 0)
        self._pools_cut = int(state["pools_cut"])
        self._queue = [(np.asarray(i, dtype=np.int64).copy(), np.asarray(x, dtype=np.float64).copy())
                       for i, x in state["queue"]]


class Batch:
    """One Boss step's batch: its global step number, this rank's instances and loss weights.

    The weights travel with the batch from the moment the selector decides it; ``report`` hands
    them back with the loss to back-propagate. Under DDP the batch also keeps the global batch
    (all ranks' instances) it is a slice of, so that one rank's saved state serves every rank.
    """

    __slots__ = ("step", "indices", "weights", "position", "global_indices", "global_weights", "bounds", "decided")

    def __init__(self, step: int, indices: np.ndarray, weights: np.ndarray, position: float,
                 global_indices: np.ndarray | None = None, global_weights: np.ndarray | None = None,
                 bounds: np.ndarray | None = None, decided: tuple[int, int] = (0, 0)) -> None:
        self.step = int(step)
        # (candidates scanned, accepted) by the decisions that became final as this batch was assembled: counted
        # when the batch is yielded, so the keep rate in stats() is a function of the seed, not of how far ahead
        # the worker assembled
        self.decided = (int(decided[0]), int(decided[1]))
        self.indices = indices
        self.weights = weights
        self.position = float(position)
        self.global_indices = indices if global_indices is None else global_indices
        self.global_weights = weights if global_weights is None else global_weights
        # where each rank's part starts and ends in the global batch (rank r: bounds[r]:bounds[r + 1])
        self.bounds = np.array([0, len(indices)]) if bounds is None else np.asarray(bounds, dtype=np.int64)

    def to_global_state(self) -> dict[str, Any]:
        """The global batch (every rank's slice), from which :meth:`from_global_state` takes a rank's."""
        return {"step": self.step, "indices": self.global_indices.copy(), "weights": self.global_weights.copy(),
                "position": self.position, "bounds": self.bounds.copy(), "decided": list(self.decided)}

    @classmethod
    def from_global_state(cls, state: dict[str, Any], rank: int) -> "Batch":
        indices = np.asarray(state["indices"], dtype=np.int64).copy()
        weights = np.asarray(state["weights"], dtype=np.float64).copy()
        bounds = np.asarray(state["bounds"], dtype=np.int64).copy()
        part = slice(int(bounds[rank]), int(bounds[rank + 1]))
        return cls(int(state["step"]), indices[part].copy(), weights[part].copy(), float(state["position"]),
                   indices, weights, bounds, _decided(state))

    def to_state(self) -> dict[str, Any]:
        return {"step": self.step, "indices": self.indices.copy(), "weights": self.weights.copy(),
                "position": self.position, "decided": list(self.decided)}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "Batch":
        return cls(int(state["step"]), np.asarray(state["indices"], dtype=np.int64).copy(),
                   np.asarray(state["weights"], dtype=np.float64).copy(), float(state["position"]),
                   decided=_decided(state))


def _decided(state: dict[str, Any]) -> tuple[int, int]:
    scanned, accepted = state.get("decided", (0, 0))  # states saved before batches kept it: (0, 0)
    return int(scanned), int(accepted)
