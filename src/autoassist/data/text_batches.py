"""Padded tensors for a batch of sentence pairs, and the per-instance lengths token batching needs.

A translation instance is a pair of token id lists (from ``SubwordTokenizer.encode``, no special
ids). For a batch of instance indices, ``collate_translation`` builds

- ``src``: source ids, right-padded with ``pad_id``, shape (B, S);
- ``tgt_in``: ``<s>`` + target ids, the decoder input (teacher forcing), shape (B, T);
- ``tgt_out``: target ids + ``</s>``, what the decoder must predict at each position, shape (B, T);

where S and T are the longest source and target (plus one) in the batch. ``instance_lengths``
gives every instance's source length and target length including ``</s>``: the padded size of a
batch is ``B * max(lengths)``, which is what a ``max_tokens`` bound limits.

``TranslationDataset`` wraps the id lists for a ``torch.utils.data.DataLoader``: with a batch
sampler that yields instance indices, pass ``collate_fn=dataset.collate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from autoassist._errors import fail
from autoassist.data.tokenize import BOS_ID, EOS_ID, PAD_ID

__all__ = ["TranslationBatch", "TranslationDataset", "collate_translation", "instance_lengths"]


@dataclass
class TranslationBatch:
    """One padded batch. ``indices`` are the instances' positions in the training set."""

    indices: torch.Tensor  # (B,) int64
    src: torch.Tensor  # (B, S) int64
    tgt_in: torch.Tensor  # (B, T) int64, starts with <s>
    tgt_out: torch.Tensor  # (B, T) int64, ends with </s>
    src_lengths: torch.Tensor  # (B,) int64, source tokens
    tgt_lengths: torch.Tensor  # (B,) int64, target tokens including </s>

    def to(self, device: torch.device | str) -> TranslationBatch:
        """Move every tensor to ``device`` (``indices`` included)."""
        return TranslationBatch(*(t.to(device) for t in (self.indices, self.src, self.tgt_in, self.tgt_out,
                                                          self.src_lengths, self.tgt_lengths)))

    @property
    def num_target_tokens(self) -> int:
        """Target tokens in the batch, ``</s>`` included and padding excluded."""
        return int(self.tgt_lengths.sum())


def instance_lengths(src_ids: Sequence[Sequence[int]], tgt_ids: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Return (source lengths, target lengths + 1 for ``</s>``) of every instance, as int64 arrays.

    An empty source is refused here, before anything is batched, not at the batch that would hold it."""
    if len(src_ids) != len(tgt_ids):
        raise fail("tgt_ids", f"as long as src_ids ({len(src_ids)} instances)", f"{len(tgt_ids)} instances")
    src_len = np.fromiter((len(s) for s in src_ids), dtype=np.int64, count=len(src_ids))
    tgt_len = np.fromiter((len(t) + 1 for t in tgt_ids), dtype=np.int64, count=len(tgt_ids))
    if src_len.size and int(src_len.min()) == 0:
        raise fail("src_ids", "non-empty for every instance (the encoder has nothing to attend to otherwise)",
                   f"an empty source at instance {int(src_len.argmin())}", "Drop empty sentence pairs before training.")
    return src_len, tgt_len


def _pad(rows: list[Sequence[int]], width: int, pad_id: int, prefix: int | None, suffix: int | None) -> torch.Tensor:
    out = torch.full((len(rows), width), pad_id, dtype=torch.int64)
    start = 0 if prefix is None else 1
    if prefix is not None:
        out[:, 0] = prefix
    for r, ids in enumerate(rows):
        n = len(ids)
        if n:
            out[r, start:start + n] = torch.as_tensor(ids, dtype=torch.int64)
        if suffix is not None:
            out[r, start + n] = suffix
    return out


def collate_translation(src_ids: Sequence[Sequence[int]], tgt_ids: Sequence[Sequence[int]],
                        indices: Sequence[int] | np.ndarray | torch.Tensor, *, pad_id: int = PAD_ID,
                        bos_id: int = BOS_ID, eos_id: int = EOS_ID) -> TranslationBatch:
    """Pad the instances at ``indices`` into a ``TranslationBatch`` (see the module docstring)."""
    index = torch.as_tensor(np.asarray(indices, dtype=np.int64).reshape(-1))
    if index.numel() == 0:
        raise fail("indices", "a non-empty list of instance indices", "an empty list")
    if int(index.min()) < 0 or int(index.max()) >= len(src_ids):
        raise fail("indices", f"in [0, {len(src_ids)})", f"values from {int(index.min())} to {int(index.max())}")
    src = [src_ids[i] for i in index.tolist()]
    tgt = [tgt_ids[i] for i in index.tolist()]
    src_len = torch.tensor([len(s) for s in src], dtype=torch.int64)
    tgt_len = torch.tensor([len(t) + 1 for t in tgt], dtype=torch.int64)
    if int(src_len.min()) == 0:
        raise fail("src_ids", "non-empty for every instance in the batch", f"an empty source at instance "
                   f"{index[int(src_len.argmin())].item()}", "Drop empty sentence pairs before training.")
    width = int(tgt_len.max())
    return TranslationBatch(
        indices=index,
        src=_pad(src, int(src_len.max()), pad_id, None, None),
        tgt_in=_pad(tgt, width, pad_id, bos_id, None),
        tgt_out=_pad(tgt, width, pad_id, None, eos_id),
        src_lengths=src_len,
        tgt_lengths=tgt_len,
    )


class TranslationDataset(Dataset[int]):
    """Token id lists of a parallel corpus; ``dataset[i]`` is the instance index ``i`` itself.

    Padding happens in ``collate``, which a ``DataLoader`` calls with the indices of one batch:
    ``DataLoader(dataset, batch_sampler=..., collate_fn=dataset.collate)``. ``lengths`` is what a
    token-bounded batcher needs, so ``AutoAssist(dataset, max_tokens=4096)`` finds it by itself.
    """

    def __init__(self, src_ids: Sequence[Sequence[int]], tgt_ids: Sequence[Sequence[int]], *,
                 pad_id: int = PAD_ID, bos_id: int = BOS_ID, eos_id: int = EOS_ID) -> None:
        self.src_lengths, self.tgt_lengths = instance_lengths(src_ids, tgt_ids)
        self.src_ids, self.tgt_ids = src_ids, tgt_ids
        self.pad_id, self.bos_id, self.eos_id = pad_id, bos_id, eos_id

    def __len__(self) -> int:
        return len(self.src_ids)

    @property
    def lengths(self) -> np.ndarray:
        """(N, 2) source and target (with ``</s>``) lengths: what ``AutoAssist(max_tokens=...)`` bounds."""
        return np.stack([self.src_lengths, self.tgt_lengths], axis=1)

    def __getitem__(self, index: int) -> int:
        return int(index)

    def collate(self, indices: Sequence[int]) -> TranslationBatch:
        """Build the padded batch of these instances."""
        return collate_translation(self.src_ids, self.tgt_ids, indices, pad_id=self.pad_id,
                                   bos_id=self.bos_id, eos_id=self.eos_id)
