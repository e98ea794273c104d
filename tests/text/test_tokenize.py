from __future__ import annotations

from pathlib import Path

import pytest

from autoassist._errors import ParameterError
from autoassist.data.parallel import ParallelCorpus
from autoassist.data.synthetic_translation import make_synthetic_translation
from autoassist.data.tokenize import (BOS_ID, EOS_ID, PAD_ID, UNK_ID, SubwordTokenizer, bpe_model_path,
                                      train_joint_bpe)


def _corpus() -> ParallelCorpus:
    return make_synthetic_translation(200, 0, 0, seed=0).train


def test_round_trip_special_ids_and_cache(tmp_path: Path) -> None:
    corpus = _corpus()
    tok = train_joint_bpe(corpus, 200, tmp_path, seed=0)
    assert not tok.from_cache and tok.vocab_size <= 200
    assert (tok.pad_id, tok.unk_id, tok.bos_id, tok.eos_id) == (PAD_ID, UNK_ID, BOS_ID, EOS_ID) == (0, 1, 2, 3)
    sentences = corpus.src[:5] + corpus.tgt[:5]
    ids = tok.encode(sentences)
    assert all(min(x) > EOS_ID and max(x) < tok.vocab_size for x in ids)
    assert tok.decode_batch(ids) == sentences
    assert tok.decode([BOS_ID, *ids[0], EOS_ID, PAD_ID, PAD_ID]) == sentences[0]
    again = train_joint_bpe(corpus, 200, tmp_path, seed=0)
    assert again.from_cache and again.model_path == tok.model_path
    assert again.encode(sentences) == ids
    assert SubwordTokenizer.load(tok.model_path).encode(sentences) == ids
    other = train_joint_bpe(corpus, 150, tmp_path, seed=0)  # other settings: another model file
    assert not other.from_cache and other.model_path != tok.model_path


def test_tiny_corpus_small_vocab_and_clear_error(tmp_path: Path) -> None:
    tiny = ParallelCorpus(["a dog runs", "two dogs"], ["ein hund läuft", "zwei hunde"])
    tok = train_joint_bpe(tiny, 1000, tmp_path)  # more than the corpus can fill: fewer ids, no error
    assert tok.vocab_size < 1000
    assert tok.decode(tok.encode(["zwei hunde"])[0]) == "zwei hunde"
    assert UNK_ID in tok.encode(["Q"])[0]
    with pytest.raises(ParameterError, match="vocab_size must be at least the number of distinct characters"):
        train_joint_bpe(tiny, 10, tmp_path)
    with pytest.raises(ParameterError, match="list of strings"):
        tok.encode("a dog")  # type: ignore[arg-type]


def test_bpe_model_path_is_where_the_model_goes_and_writes_nothing(tmp_path: Path) -> None:
    corpus = _corpus()
    path = bpe_model_path(corpus, 200, tmp_path / "cache", seed=0)
    assert not (tmp_path / "cache").exists()
    assert train_joint_bpe(corpus, 200, tmp_path / "cache", seed=0).model_path == path and path.is_file()
