"""A synthetic, text-like binary classification set for the SVM benchmark (sparse, high-dimensional).

Documents are bags of words: each token is drawn from a Zipf-distributed background vocabulary,
or, with a per-document probability ``topic_share ~ Beta``, from its class's own topic (a few
thousand class-specific terms, Zipf within the topic). Rows are TF-IDF (``log(1 + tf) * idf``,
idf from the training rows) normalised to unit length, as a text classifier's input usually is;
``label_noise`` of the labels are flipped. Most documents carry enough topic words to be far
from the boundary, so the LIBLINEAR solution has few support vectors; documents with little
topic content and flipped labels make the rest.

    python -m autoassist.bench.svm_data OUT_DIR   # writes text_train.svm and text_test.svm

Everything is a function of ``seed`` (default 20190, the one the committed benchmark uses).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import dump_svmlight_file

SEED = 20190


def make_text_like(
    n_samples: int = 40_000, n_features: int = 60_000, mean_tokens: float = 120.0, topic_terms: int = 3_000,
    zipf_exponent: float = 1.05, topic_share: tuple[float, float] = (4.0, 8.0), label_noise: float = 0.01,
    seed: int = SEED,
) -> tuple[sp.csr_matrix, np.ndarray]:
    """``(X, y)``: CSR rows of unit-norm TF-IDF weights over ``n_features`` terms, labels in {-1, +1}.

    ``topic_share`` holds the Beta(a, b) parameters of each document's share of topic tokens
    (mean a / (a + b)); document lengths are ``1 + Poisson(mean_tokens - 1)``.
    """
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n_samples) < 0.5, 1.0, -1.0)
    lengths = 1 + rng.poisson(mean_tokens - 1.0, size=n_samples)
    share = rng.beta(*topic_share, size=n_samples)
    n_tokens = int(lengths.sum())
    doc = np.repeat(np.arange(n_samples), lengths)
    # background: Zipf over the whole vocabulary, terms in a random order
    background = _zipf_draws(rng, n_features, zipf_exponent, n_tokens)
    vocabulary = rng.permutation(n_features)
    terms = vocabulary[background]
    # topic tokens: each class owns topic_terms terms from the middle of the frequency range
    topics = rng.permutation(np.arange(100, n_features))[: 2 * topic_terms].reshape(2, topic_terms)
    from_topic = rng.random(n_tokens) < share[doc]
    topic_rank = _zipf_draws(rng, topic_terms, zipf_exponent, int(from_topic.sum()))
    terms[from_topic] = vocabulary[topics[(y[doc[from_topic]] > 0).astype(int), topic_rank]]
    counts = sp.csr_matrix((np.ones(n_tokens), (doc, terms)), shape=(n_samples, n_features))
    counts.sum_duplicates()
    counts.data = np.log1p(counts.data)
    flip = rng.random(n_samples) < label_noise
    y[flip] = -y[flip]
    return counts, y


def _zipf_draws(rng: np.random.Generator, n_terms: int, exponent: float, size: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, n_terms + 1) ** exponent
    return np.minimum(np.searchsorted(np.cumsum(weights / weights.sum()), rng.random(size)), n_terms - 1)


def tfidf_split(X: sp.csr_matrix, n_train: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """IDF from the first ``n_train`` rows, applied to all; rows scaled to unit L2 norm."""
    df = np.bincount(X[:n_train].indices, minlength=X.shape[1])
    idf = np.log((1.0 + n_train) / (1.0 + df)) + 1.0
    Z = sp.csr_matrix(X @ sp.diags(idf))
    norms = np.sqrt(np.asarray(Z.multiply(Z).sum(axis=1)).ravel())
    Z = sp.csr_matrix(sp.diags(1.0 / np.maximum(norms, 1e-12)) @ Z)
    return Z[:n_train], Z[n_train:]


def write_text_like(out_dir: str | Path, n_train: int = 30_000, n_test: int = 10_000, seed: int = SEED) -> tuple[Path, Path]:
    """Write ``text_train.svm`` and ``text_test.svm`` (svmlight, 1-based indices) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    X, y = make_text_like(n_samples=n_train + n_test, seed=seed)
    train, test = tfidf_split(X, n_train)
    paths = out / "text_train.svm", out / "text_test.svm"
    dump_svmlight_file(train, y[:n_train], str(paths[0]), zero_based=False)
    dump_svmlight_file(test, y[n_train:], str(paths[1]), zero_based=False)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autoassist.bench.svm_data", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("out_dir", help="folder to write text_train.svm and text_test.svm into")
    parser.add_argument("--n-train", type=int, default=30_000, help="training instances")
    parser.add_argument("--n-test", type=int, default=10_000, help="test instances")
    parser.add_argument("--seed", type=int, default=SEED, help="the generator's seed")
    args = parser.parse_args(argv)
    for path in write_text_like(args.out_dir, args.n_train, args.n_test, args.seed):
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
