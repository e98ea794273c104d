from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from autoassist._errors import ParameterError, ParameterTypeError
from autoassist.text_features import inverse_document_frequency, text_feature_columns, text_features

V = 8
SRC = [[4, 5, 4], [5, 6], [7]]
TGT = [[4], [6, 6, 7], [4, 7]]


def test_tfidf_equals_hand_computation() -> None:
    m = text_features(SRC, TGT, V)
    assert sp.isspmatrix_csr(m) and m.dtype == np.float32 and m.shape == (3, 4 * V + 2)
    d = m.toarray()
    cols = text_feature_columns(V)
    log = math.log
    # source df: 4 -> 1, 5 -> 2, 6 -> 1, 7 -> 1 of N = 3 sentences
    expected_src = np.zeros((3, V))
    expected_src[0, 4] = log(3 / 1) * 2 / 3
    expected_src[0, 5] = log(3 / 2) * 1 / 3
    expected_src[1, 5] = log(3 / 2) * 1 / 2
    expected_src[1, 6] = log(3 / 1) * 1 / 2
    expected_src[2, 7] = log(3 / 1) * 1 / 1
    np.testing.assert_allclose(d[:, cols["src_tfidf"]], expected_src, rtol=1e-6)
    # target df: 4 -> 2, 6 -> 1, 7 -> 2
    expected_tgt = np.zeros((3, V))
    expected_tgt[0, 4] = log(3 / 2)
    expected_tgt[1, 6] = log(3) * 2 / 3
    expected_tgt[1, 7] = log(3 / 2) * 1 / 3
    expected_tgt[2, 4] = log(3 / 2) / 2
    expected_tgt[2, 7] = log(3 / 2) / 2
    np.testing.assert_allclose(d[:, cols["tgt_tfidf"]], expected_tgt, rtol=1e-6)
    np.testing.assert_allclose(d[:, cols["src_tf"]][0, [4, 5]], [0.5, 0.5])
    np.testing.assert_allclose(d[:, cols["tgt_tf"]][1, [6, 7]], [0.5, 0.5])
    np.testing.assert_allclose(d[:, 4 * V], [0.3, 0.2, 0.1], rtol=1e-6)
    np.testing.assert_allclose(d[:, 4 * V + 1], [0.1, 0.3, 0.2], rtol=1e-6)
    np.testing.assert_allclose(inverse_document_frequency(SRC, V)[4:], [log(3), log(1.5), log(3), log(3)])


def test_row_dot_weights_equals_formula() -> None:
    rng = np.random.default_rng(0)
    w = rng.normal(size=4 * V + 2)
    m = text_features(SRC, TGT, V)
    src_idf, tgt_idf = inverse_document_frequency(SRC, V), inverse_document_frequency(TGT, V)
    for i, (x, y) in enumerate(zip(SRC, TGT)):
        by_hand = (np.mean([w[t] for t in set(x)]) + np.mean([w[V + t] for t in set(y)])
                   + sum(w[2 * V + t] * src_idf[t] * x.count(t) / len(x) for t in set(x))
                   + sum(w[3 * V + t] * tgt_idf[t] * y.count(t) / len(y) for t in set(y))
                   + w[4 * V] * len(x) / 10 + w[4 * V + 1] * len(y) / 10)
        assert float((m @ w)[i]) == pytest.approx(by_hand, rel=1e-5)


def test_given_idf_empty_sentences_and_errors() -> None:
    idf = np.ones(V)
    m = text_features([[4], []], [[5, 5], [6]], V, src_idf=idf, tgt_idf=idf).toarray()
    assert m[1, :V].sum() == 0 and m[1, 4 * V] == 0 and m[1, V + 6] == 1.0
    assert m[0, 3 * V + 5] == 1.0  # idf 1 * count 2 / length 2
    with pytest.raises(ParameterError, match="token ids in"):
        text_features([[9]], [[1]], V)
    with pytest.raises(ParameterError, match="src_idf"):
        text_features(SRC, TGT, V, src_idf=np.ones(3))
    with pytest.raises(ParameterError, match="as long as src_ids"):
        text_features(SRC, TGT[:2], V)


def test_tokens_that_are_not_integer_ids_are_refused_by_name() -> None:
    # numpy once raised its own ValueError ("invalid literal for int()"), or cast "5" and 1.5 silently
    for src in ([["a", "dog"]], ["a dog"], [["4", "5"]], [[4.0, 5.0]], [[4, "x"]]):
        with pytest.raises(ParameterTypeError, match=r"src_ids must be lists of integer token ids; got the token "
                                                     r".* Encode the sentences first"):
            text_features(src, [[4]], V)
    assert text_features([np.array([4, 5])], [[np.int32(6)]], V).shape == (1, 4 * V + 2)   # numpy ids are fine


def test_vectorised_on_a_corpus_of_multi30k_size() -> None:
    rng = np.random.default_rng(0)
    ends = np.cumsum(rng.integers(5, 25, size=29_000)).tolist()
    flat = rng.integers(4, 8000, size=ends[-1]).tolist()
    ids = [flat[a:b] for a, b in zip([0, *ends[:-1]], ends)]
    m = text_features(ids, ids, 8000)  # its speed is measured in the benchmarks, not asserted here
    assert m.shape == (29_000, 32_002)
