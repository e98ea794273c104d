"""The text Assistant's features: sparse TF and TF-IDF of source and target, and the two lengths.

For translation the paper's Assistant is the same logistic regression as for images, on a cheap
sparse description of the sentence pair. With V the (joint) vocabulary size, row i of the matrix
(one per instance, float32, scipy CSR, 4V + 2 columns) holds

==============  ==========================================================================
columns         value for sentence pair (x, y)
==============  ==========================================================================
[0, V)          source term presence: 1 / (number of distinct tokens of x) at each token of x
[V, 2V)         the same for the target y
[2V, 3V)        source TF-IDF: idf_src[t] * count(t in x) / |x|
[3V, 4V)        target TF-IDF: idf_tgt[t] * count(t in y) / |y|
4V, 4V + 1      |x| / 10 and |y| / 10
==============  ==========================================================================

so that ``w @ row`` over the first block is the mean of ``w[t]`` over the distinct source tokens:
a per-token weight the Assistant learns, averaged over the sentence. ``idf[t] = log(N / max(1,
df[t]))`` with ``df[t]`` the number of sentences *of that side* containing t, over the N instances
given (pass ``src_idf``/``tgt_idf`` to reuse the training split's). Token lists are the subword ids
of ``SubwordTokenizer.encode`` (no ``<s>``/``</s>``); |x| and |y| count them. The matrix is built
from concatenated arrays with no Python loop over sentences.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

import numpy as np
import scipy.sparse as sp

from autoassist._errors import ParameterTypeError, check_int, fail

LENGTH_SCALE = 10.0

__all__ = ["LENGTH_SCALE", "inverse_document_frequency", "text_feature_columns", "text_features"]


def _is_id(token: object) -> bool:
    return isinstance(token, (int, np.integer)) and not isinstance(token, (bool, np.bool_))


def _flatten(ids: Sequence[Sequence[int]], vocab_size: int, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (token ids, lengths) of all sentences, concatenated, as int64 arrays."""
    lengths = np.fromiter((len(s) for s in ids), dtype=np.int64, count=len(ids))
    first = next((s[0] for s in ids if len(s)), None)   # a cheap look at one token: numpy casts floats and "5" silently
    try:
        if first is not None and not _is_id(first):
            raise TypeError
        tokens = np.fromiter(chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
    except (TypeError, ValueError, OverflowError):
        bad = next((t for t in chain.from_iterable(ids) if not _is_id(t)), None)
        if bad is None:   # integers all, one beyond int64
            raise fail(name, f"token ids in [0, vocab_size={vocab_size})", "an id beyond 64 bits",
                       "Pass the tokenizer's ids and vocab_size.") from None
        raise ParameterTypeError(
            f"{name} must be lists of integer token ids; got the token {bad!r} of type {type(bad).__name__}. "
            "Encode the sentences first: SubwordTokenizer.encode(sentences) returns such lists.") from None
    if tokens.size and (tokens.min() < 0 or tokens.max() >= vocab_size):
        raise fail(name, f"token ids in [0, vocab_size={vocab_size})",
                   f"ids from {int(tokens.min())} to {int(tokens.max())}", "Pass the tokenizer's vocab_size.")
    return tokens, lengths


def _counts(tokens: np.ndarray, lengths: np.ndarray, vocab_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (row, token, count) of every distinct token of every sentence, sorted by row then token."""
    rows = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    keys, counts = np.unique(rows * vocab_size + tokens, return_counts=True)
    return keys // vocab_size, keys % vocab_size, counts


def inverse_document_frequency(ids: Sequence[Sequence[int]], vocab_size: int) -> np.ndarray:
    """Return ``log(N / max(1, df[t]))`` for every token id t, float64 of shape (vocab_size,)."""
    vocab_size = check_int("vocab_size", vocab_size, minimum=1)
    tokens, lengths = _flatten(ids, vocab_size, "ids")
    _, token, _ = _counts(tokens, lengths, vocab_size)
    df = np.bincount(token, minlength=vocab_size)
    return np.log(max(len(ids), 1) / np.maximum(df, 1))


def text_feature_columns(vocab_size: int) -> dict[str, slice]:
    """Which columns of ``text_features``'s matrix hold which block (see the module docstring)."""
    v = check_int("vocab_size", vocab_size, minimum=1)
    return {"src_tf": slice(0, v), "tgt_tf": slice(v, 2 * v), "src_tfidf": slice(2 * v, 3 * v),
            "tgt_tfidf": slice(3 * v, 4 * v), "src_length": slice(4 * v, 4 * v + 1),
            "tgt_length": slice(4 * v + 1, 4 * v + 2)}


def _side(ids: Sequence[Sequence[int]], vocab_size: int, idf: np.ndarray | None, name: str
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows, token ids, TF values and TF-IDF values of one side, and its lengths."""
    tokens, lengths = _flatten(ids, vocab_size, name)
    row, token, count = _counts(tokens, lengths, vocab_size)
    if idf is None:
        idf = np.log(max(len(ids), 1) / np.maximum(np.bincount(token, minlength=vocab_size), 1))
    elif np.shape(idf) != (vocab_size,):
        raise fail(f"{name.split('_')[0]}_idf", f"an array of shape ({vocab_size},)", f"shape {np.shape(idf)}",
                   "Pass inverse_document_frequency(train_ids, vocab_size).")
    distinct = np.bincount(row, minlength=len(ids))
    tf = 1.0 / distinct[row]
    tfidf = np.asarray(idf, dtype=np.float64)[token] * count / lengths[row]
    return row, token, tf, tfidf, lengths


def text_features(src_ids: Sequence[Sequence[int]], tgt_ids: Sequence[Sequence[int]], vocab_size: int, *,
                  src_idf: np.ndarray | None = None, tgt_idf: np.ndarray | None = None) -> sp.csr_matrix:
    """Return the (N, 4 * vocab_size + 2) float32 CSR feature matrix of N sentence pairs.

    ``src_ids[i]`` and ``tgt_ids[i]`` are the token ids of instance i. ``src_idf``/``tgt_idf``
    (shape (vocab_size,)) default to the IDF of these very sentences; pass the training split's to
    featurise other sentences consistently. Column layout: ``text_feature_columns(vocab_size)``.
    The lengths are columns 4V and 4V + 1 times ``LENGTH_SCALE``; ``autoassist.data.text_batches
    .instance_lengths`` gives the lengths a token-bounded batcher uses (the target's with ``</s>``).
    """
    v = check_int("vocab_size", vocab_size, minimum=1)
    if len(src_ids) != len(tgt_ids):
        raise fail("tgt_ids", f"as long as src_ids ({len(src_ids)} instances)", f"{len(tgt_ids)} instances")
    n = len(src_ids)
    s_row, s_tok, s_tf, s_tfidf, s_len = _side(src_ids, v, src_idf, "src_ids")
    t_row, t_tok, t_tf, t_tfidf, t_len = _side(tgt_ids, v, tgt_idf, "tgt_ids")
    all_rows = np.arange(n, dtype=np.int64)
    rows = np.concatenate([s_row, t_row, s_row, t_row, all_rows, all_rows])
    cols = np.concatenate([s_tok, t_tok + v, s_tok + 2 * v, t_tok + 3 * v,
                           np.full(n, 4 * v, dtype=np.int64), np.full(n, 4 * v + 1, dtype=np.int64)])
    data = np.concatenate([s_tf, t_tf, s_tfidf, t_tfidf, s_len / LENGTH_SCALE, t_len / LENGTH_SCALE])
    matrix = sp.csr_matrix((data.astype(np.float32), (rows, cols)), shape=(n, 4 * v + 2), dtype=np.float32)
    matrix.eliminate_zeros()  # zero idf (a token in every sentence) and empty sentences' lengths
    matrix.sort_indices()
    return matrix
