from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from autoassist._errors import ParameterError
from autoassist.data.text_batches import TranslationDataset, collate_translation, instance_lengths

SRC = [[5, 6, 7], [8], [9, 10]]
TGT = [[11, 12], [13, 14, 15], []]


def test_collate_pads_and_shifts() -> None:
    b = collate_translation(SRC, TGT, [2, 0])
    assert b.indices.tolist() == [2, 0]
    assert b.src.tolist() == [[9, 10, 0], [5, 6, 7]]
    assert b.tgt_in.tolist() == [[2, 0, 0], [2, 11, 12]]
    assert b.tgt_out.tolist() == [[3, 0, 0], [11, 12, 3]]
    assert b.src_lengths.tolist() == [2, 3] and b.tgt_lengths.tolist() == [1, 3]
    assert b.num_target_tokens == 4 and b.src.dtype == torch.int64
    # non-pad positions of tgt_out equal tgt_in shifted left by one, then </s>
    assert b.tgt_in[1, 1:].tolist() == b.tgt_out[1, :-1].tolist()


def test_lengths_and_dataloader() -> None:
    s, t = instance_lengths(SRC, TGT)
    assert s.tolist() == [3, 1, 2] and t.tolist() == [3, 4, 1] and s.dtype == np.int64
    ds = TranslationDataset(SRC, TGT)
    loader = DataLoader(ds, batch_sampler=[[0, 1], [2]], collate_fn=ds.collate)
    batches = list(loader)
    assert [b.indices.tolist() for b in batches] == [[0, 1], [2]]
    assert batches[0].tgt_out.tolist() == [[11, 12, 3, 0], [13, 14, 15, 3]]


def test_bad_indices() -> None:
    with pytest.raises(ParameterError, match=r"indices must be in \[0, 3\)"):
        collate_translation(SRC, TGT, [3])
    with pytest.raises(ParameterError, match="non-empty"):
        collate_translation(SRC, TGT, [])
    with pytest.raises(ParameterError, match="empty source at instance 1"):
        collate_translation([[1], []], [[1], [2]], [0, 1])


def test_an_empty_source_is_refused_when_the_dataset_is_built() -> None:
    with pytest.raises(ParameterError, match="src_ids must be non-empty .* empty source at instance 1"):
        TranslationDataset([[1], [], [2]], [[1], [2], [3]])
