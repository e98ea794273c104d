"""Token-bounded batches decided as they are cut: fresh decisions and well-packed batches at once.

The pool batcher (:class:`~autoassist.batching.TokenBatcher`) decides a pool of candidates, then sorts and
cuts it: with the default pool of 32 batches' worth, an instance is trained up to 32 steps after it was
decided, and a smaller pool, fresher, pads more (a pool of 4 packs ~20% fewer tokens a batch). Here the
pool holds *undecided* candidates instead. Each batch grows around the pool's oldest candidate (the
anchor), from the candidates closest to it in length, a chunk at a time: each chunk is decided when it is
reached, its accepted instances join the batch until the next one would break ``max_tokens``. A candidate's
decision is final when it is skipped or joins a batch; an accepted one that has no room left has its
decision dropped and stays in the pool, to be decided again at a later cut (a few per batch: the last chunk
is sized to the room left). So every instance trained was decided at its own batch's cut, as fresh as the
generator's lag, and the packing is that of the whole pool.
Batches never mix two passes (under DDP, except a leftover smaller than the number of ranks).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autoassist.batching import POOL_BATCHES, Decide, Parts, Stream, TokenPool, split_largest

CHUNKS_PER_BATCH = 4  # a batch's candidates are decided in about this many chunks


class FreshTokenBatcher(TokenPool):
    """Token-bounded batches whose candidates are decided when the batch is cut (see the module docstring).

    ``pool_batches`` sizes the pool of undecided candidates (as the pool batcher's, in batches' worth of
    tokens): a larger pool packs better; it does not make decisions older. With ``parts`` (ranks), each
    global batch is ``parts`` consecutive batches.
    """

    def __init__(self, lengths: np.ndarray, max_tokens: int, *, parts: int = 1,
                 pool_batches: int = POOL_BATCHES) -> None:
        super().__init__(lengths, max_tokens, parts=parts, pool_batches=pool_batches)
        self._idx = np.empty(0, dtype=np.int64)
        self._coins = np.empty(0, dtype=np.float64)
        self._arrival = np.empty(0, dtype=np.int64)
        self._arrivals = 0
        self._decided, self._accepted = 0, 0  # final decisions: the keep rate so far sizes a batch's last chunk
        self._reported = (0, 0)

    def next_parts(self, stream: Stream, decide: Decide) -> Parts:
        """The next global batch as ``parts`` pieces ``(indices, weights)``, deciding what it needs."""
        runs: list[tuple[np.ndarray, np.ndarray]] = []
        while len(runs) < self.parts:
            if runs and self._pass_drained(stream) and split_largest(runs):
                continue  # the pass's last batches are shared out among the ranks before the next pass begins
            self._fill(stream)
            run = self._cut(stream, decide)
            if len(run[0]):
                runs.append(run)
            elif not self._fill(stream):
                break  # nothing left to take (only a single pass ends so)
        return runs

    # ------------------------------------------------------------------ the pool
    def _pass_drained(self, stream: Stream) -> bool:
        return not len(self._idx) and stream.pass_done

    def _fill(self, stream: Stream, extra: int = 0) -> bool:
        """Top the pool up to its size (plus ``extra``) from the current pass; start the next pass only when
        the pool is empty. Returns whether anything was added."""
        added = False
        while len(self._idx) < self.pool_size + extra and not (len(self._idx) and stream.pass_done):
            chunk, coins = stream.take(self.pool_size + extra - len(self._idx))
            if not len(chunk):
                break
            self._idx = np.concatenate([self._idx, np.asarray(chunk, dtype=np.int64)])
            self._coins = np.concatenate([self._coins, np.asarray(coins, dtype=np.float64)])
            self._arrival = np.concatenate([self._arrival, self._arrivals + np.arange(len(chunk))])
            self._arrivals += len(chunk)
            added = True
        return added

    def _cut(self, stream: Stream, decide: Decide) -> tuple[np.ndarray, np.ndarray]:
        """One batch grown around the oldest candidate; its members and the skipped leave the pool."""
        if not len(self._idx):
            return np.empty(0, dtype=np.int64), np.empty(0)
        members: list[int] = []  # positions in the pool
        weights: list[float] = []
        gone = np.zeros(len(self._idx), dtype=bool)
        target = int(self.sizes[self._idx[int(np.argmin(self._arrival))]])
        ranking, at, longest, full = self._ranking(target, gone), 0, 0, False
        chunk = max(1, math.ceil(self.max_tokens / max(target, 1) / CHUNKS_PER_BATCH))
        while not full:
            if at >= len(ranking):  # every candidate in the pool is used: take more of this pass, if any
                if not self._fill(stream, extra=chunk * CHUNKS_PER_BATCH):
                    break
                gone = np.concatenate([gone, np.zeros(len(self._idx) - len(gone), dtype=bool)])
                ranking, at = self._ranking(target, gone), 0
                continue
            slots = ranking[at:at + self._chunk(chunk, len(members), max(longest, target))]
            at += len(slots)
            keep, weight = decide(self._idx[slots], self._coins[slots])
            for slot, accepted, w in zip(slots.tolist(), np.asarray(keep, dtype=bool).tolist(),
                                         np.asarray(weight, dtype=np.float64).tolist()):
                size = int(self.sizes[self._idx[slot]])
                if accepted and (full or (len(members) + 1) * max(longest, size) > self.max_tokens):
                    full = True  # no room: its decision is dropped; it is decided again at a later cut
                    continue
                self._decided, self._accepted = self._decided + 1, self._accepted + int(accepted)
                gone[slot] = True  # skipped, or in the batch: final
                if accepted:
                    members.append(slot)
                    weights.append(w)
                    longest = max(longest, size)
        keep_pool = ~gone
        out = (self._idx[np.asarray(members, dtype=np.int64)].copy(), np.asarray(weights, dtype=np.float64))
        self._idx, self._coins, self._arrival = self._idx[keep_pool], self._coins[keep_pool], self._arrival[keep_pool]
        return out

    def take_counts(self) -> tuple[int, int]:
        """Candidates finally decided and accepted since the last call (dropped decisions not counted)."""
        counts = (self._decided - self._reported[0], self._accepted - self._reported[1])
        self._reported = (self._decided, self._accepted)
        return counts

    def _chunk(self, chunk: int, count: int, longest: int) -> int:
        """Candidates to decide next: a chunk, or fewer near the end of a batch (about what it still has room
        for at the keep rate so far), so that few decisions are dropped."""
        room = self.max_tokens // max(longest, 1) - count
        keep = (self._accepted + 1) / (self._decided + 1)
        return max(1, min(chunk, int(room / keep)))

    def _ranking(self, target: int, gone: np.ndarray) -> np.ndarray:
        """Pool positions still present, nearest in size to ``target`` first (then shorter, then older)."""
        sizes = self.sizes[self._idx]
        order = np.lexsort((self._arrival, sizes, np.abs(sizes - target)))
        return order[~gone[order]]

    # ------------------------------------------------------------------ the epoch's length, state
    def limit_next_pool(self, steps: int | None) -> None:
        """Each batch's candidates are decided as it is cut: nothing to limit."""

    def steps_per_pass(self, order: np.ndarray) -> int:
        """Global batches a fresh batcher makes from one unfiltered pass over ``order``."""
        stream = _OnePass(order)
        steps = 0
        while not self._pass_drained(stream):
            self.next_parts(stream, _accept_all)
            steps += 1
        return steps

    def state_dict(self) -> dict[str, Any]:
        return {"indices": self._idx.copy(), "coins": self._coins.copy(), "arrival": self._arrival.copy(),
                "arrivals": self._arrivals, "decided": self._decided, "accepted": self._accepted,
                "reported": list(self._reported)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._idx = np.asarray(state["indices"], dtype=np.int64).copy()
        self._coins = np.asarray(state["coins"], dtype=np.float64).copy()
        self._arrival = np.asarray(state["arrival"], dtype=np.int64).copy()
        self._arrivals = int(state["arrivals"])
        self._decided, self._accepted = int(state["decided"]), int(state["accepted"])
        reported = state["reported"]
        self._reported = (int(reported[0]), int(reported[1]))


def _accept_all(indices: np.ndarray, coins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.ones(len(indices), dtype=bool), np.ones(len(indices))


class _OnePass:
    """One unfiltered pass over a fixed order, with the stream's ``take`` / ``pass_done``."""

    def __init__(self, order: np.ndarray) -> None:
        self.order, self.pos = order, 0

    @property
    def pass_done(self) -> bool:
        return self.pos >= len(self.order)

    def take(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        chunk = self.order[self.pos:self.pos + count]
        self.pos += len(chunk)
        return chunk, np.zeros(len(chunk))
