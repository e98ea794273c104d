"""Slow: load the real Multi30k files in ../shared/data and learn a joint BPE on them (skipped where absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from autoassist.data.parallel import load_parallel
from autoassist.data.text_batches import instance_lengths
from autoassist.data.tokenize import UNK_ID, train_joint_bpe
from autoassist.text_features import text_features

MULTI30K = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "multi30k"


@pytest.mark.slow
@pytest.mark.skipif(not MULTI30K.is_dir(), reason="../shared/data/multi30k is not here")
def test_multi30k_loads_and_trains_bpe(tmp_path: Path) -> None:
    train = load_parallel(MULTI30K, "train", lowercase=True)
    val = load_parallel(MULTI30K, "val", lowercase=True)
    test = load_parallel(MULTI30K, "test_2016_flickr", lowercase=True)
    assert (len(train), len(val), len(test)) == (29_000, 1_014, 1_000)
    assert train.src[0] == train.src[0].lower() and all(train.src) and all(train.tgt)
    tok = train_joint_bpe(train, 8000, tmp_path, seed=0)
    assert 7000 < tok.vocab_size <= 8000 and not tok.from_cache
    assert train_joint_bpe(train, 8000, tmp_path, seed=0).from_cache
    ids = tok.encode(test.src + test.tgt)
    assert tok.decode_batch(ids[:50]) == (test.src + test.tgt)[:50]
    assert sum(i.count(UNK_ID) for i in ids) < 50  # the joint vocabulary covers the test split
    src_ids, tgt_ids = tok.encode(train.src), tok.encode(train.tgt)
    src_len, tgt_len = instance_lengths(src_ids, tgt_ids)
    assert 10 < src_len.mean() < 20 and 10 < tgt_len.mean() < 25
    features = text_features(src_ids, tgt_ids, tok.vocab_size)
    assert features.shape == (29_000, 4 * tok.vocab_size + 2)
