from __future__ import annotations

import numpy as np
import pytest

from autoassist._errors import ParameterError
from autoassist.data.synthetic_translation import make_synthetic_translation, translate_synthetic


def test_deterministic_from_seed_and_global_rng_untouched() -> None:
    state = np.random.get_state()[1].copy()
    a = make_synthetic_translation(200, 20, 20, seed=1)
    b = make_synthetic_translation(200, 20, 20, seed=1)
    assert a.train == b.train and a.val == b.val and a.test == b.test
    np.testing.assert_array_equal(a.noisy, b.noisy)
    c = make_synthetic_translation(200, 20, 20, seed=2)
    assert c.train.src != a.train.src
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    # the splits are drawn independently: more training pairs leave val and test as they were
    assert make_synthetic_translation(300, 20, 20, seed=1).test == a.test


def test_sizes_lengths_and_noise() -> None:
    d = make_synthetic_translation(400, 30, 40, noise=0.1, max_len=20, seed=0)
    assert (len(d.train), len(d.val), len(d.test)) == (400, 30, 40)
    lengths = [len(s.split()) for s in d.train.src + d.val.src + d.test.src]
    assert min(lengths) >= 3 and max(lengths) <= 20 and len(set(lengths)) > 8
    assert len(d.noisy) == 40 and np.all(np.diff(d.noisy) > 0)
    noisy = set(d.noisy.tolist())
    for i, (s, t) in enumerate(zip(d.train.src, d.train.tgt)):
        assert (translate_synthetic(s, seed=0) == t) != (i in noisy)
    for s, t in zip(d.test.src, d.test.tgt):
        assert translate_synthetic(s, seed=0) == t


def test_translation_rule_has_structure() -> None:
    d = make_synthetic_translation(300, 0, 0, noise=0.0, seed=0)
    src_vocab = {w for s in d.train.src for w in s.split()}
    tgt_vocab = {w for t in d.train.tgt for w in t.split()}
    assert not src_vocab & tgt_vocab  # two languages
    # not a word-by-word copy: some sentences are reordered or change length
    assert any(len(s.split()) != len(t.split()) for s, t in zip(d.train.src, d.train.tgt))


def test_bad_arguments() -> None:
    with pytest.raises(ParameterError, match="noise"):
        make_synthetic_translation(10, noise=1.0)
    with pytest.raises(ParameterError, match="max_len"):
        make_synthetic_translation(10, max_len=5)
    with pytest.raises(ParameterError, match="sentence"):
        translate_synthetic("not a synthetic sentence")
