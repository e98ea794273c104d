"""Joint subword vocabulary: SentencePiece BPE learned on source and target training sentences.

``train_joint_bpe(corpus, vocab_size, model_dir, seed)`` learns one BPE model on the source and
target lines of the training split (a joint vocabulary, so a model can share its source, target
and output embeddings), writes it to ``model_dir`` and returns a ``SubwordTokenizer``. The file
name carries a hash of the training text and of every setting, so calling it again with the same
inputs loads the saved model instead of training (``tokenizer.from_cache`` says which happened).

Special ids are fixed, whatever the corpus:

====  =========  ==============================================================
id    piece      use
====  =========  ==============================================================
0     ``<pad>``  padding; ``PAD_ID`` (pass it as ``ignore_index`` / ``pad_id``)
1     ``<unk>``  characters the vocabulary does not cover
2     ``<s>``    beginning of sentence: the first decoder input (``BOS_ID``)
3     ``</s>``   end of sentence: the last decoder target (``EOS_ID``)
====  =========  ==============================================================

``encode`` returns the subword ids alone (no ``<s>``/``</s>``); the collate helper in
``autoassist.data.text_batches`` adds them. ``decode`` drops the special ids and undoes the
subword split (it is the detokeniser used before BLEU).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from autoassist._errors import check_float, check_int, fail
from autoassist.data.parallel import ParallelCorpus

PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3

__all__ = ["BOS_ID", "EOS_ID", "PAD_ID", "UNK_ID", "SubwordTokenizer", "bpe_model_path", "train_joint_bpe"]


def _sentencepiece():  # type: ignore[no-untyped-def]
    try:
        import sentencepiece
    except ImportError:  # pragma: no cover
        raise ImportError("train_joint_bpe needs the sentencepiece package: pip install sentencepiece") from None
    return sentencepiece


class SubwordTokenizer:
    """A trained SentencePiece model with the fixed special ids ``PAD_ID, UNK_ID, BOS_ID, EOS_ID``.

    Build one with ``train_joint_bpe`` or ``SubwordTokenizer.load(path)``.
    """

    pad_id = PAD_ID
    unk_id = UNK_ID
    bos_id = BOS_ID
    eos_id = EOS_ID

    def __init__(self, model_path: str | Path, *, from_cache: bool = False) -> None:
        self.model_path = Path(model_path)
        self.from_cache = from_cache
        self._sp = _sentencepiece().SentencePieceProcessor(model_file=str(self.model_path))
        specials = tuple(self._sp.id_to_piece(i) for i in range(4))
        if specials != ("<pad>", "<unk>", "<s>", "</s>"):
            raise fail("model_path", "a SentencePiece model with ids 0-3 = <pad>, <unk>, <s>, </s>", str(model_path),
                       "Train it with train_joint_bpe, which fixes these ids.")

    @classmethod
    def load(cls, model_path: str | Path) -> SubwordTokenizer:
        """Load a model written by ``train_joint_bpe``."""
        return cls(model_path)

    @property
    def vocab_size(self) -> int:
        """Number of ids, special ones included (may be below the requested size on a tiny corpus)."""
        return int(self._sp.get_piece_size())

    def encode(self, sentences: Sequence[str]) -> list[list[int]]:
        """Split each sentence into subword ids (no ``<s>``/``</s>`` added)."""
        if isinstance(sentences, str):
            raise fail("sentences", "a list of strings", "a single string",
                       "Wrap it in a list: tokenizer.encode([sentence]).")
        return [list(ids) for ids in self._sp.encode(list(sentences), out_type=int)]

    def decode(self, ids: Iterable[int]) -> str:
        """Turn subword ids back into text; pad, ``<s>`` and ``</s>`` are dropped, unknowns show as " ⁇ "."""
        return str(self._sp.decode([int(i) for i in ids if int(i) not in (PAD_ID, BOS_ID, EOS_ID)]))

    def decode_batch(self, batch: Iterable[Iterable[int]]) -> list[str]:
        """``decode`` each id list of ``batch``."""
        return [self.decode(ids) for ids in batch]

    def pieces(self, sentence: str) -> list[str]:
        """The subword pieces of one sentence, for inspection."""
        return [str(p) for p in self._sp.encode(sentence, out_type=str)]


def _training_lines(corpus: ParallelCorpus, max_sentences: int | None, seed: int) -> list[str]:
    pairs = np.arange(len(corpus))
    if max_sentences is not None and max_sentences < len(corpus):
        pairs = np.sort(np.random.default_rng(seed).choice(len(corpus), size=max_sentences, replace=False))
    lines = [corpus.src[i] for i in pairs.tolist()] + [corpus.tgt[i] for i in pairs.tolist()]
    return [line for line in lines if line]


def bpe_model_path(corpus: ParallelCorpus, vocab_size: int, model_dir: str | Path, seed: int = 0, *,
                   character_coverage: float = 1.0, max_sentences: int | None = None) -> Path:
    """Where ``train_joint_bpe`` with these arguments keeps its model (whether or not it is there yet); nothing is
    written. A caller can look in a cache this way without adding to it."""
    return _model_path_and_lines(corpus, vocab_size, model_dir, seed, character_coverage, max_sentences)[0]


def _model_path_and_lines(corpus: ParallelCorpus, vocab_size: int, model_dir: str | Path, seed: int,
                          character_coverage: float, max_sentences: int | None
                          ) -> tuple[Path, list[str], dict[str, Any]]:
    """The arguments checked: the model's path (keyed by the training text and every setting), the training lines
    and the checked settings."""
    vocab_size = check_int("vocab_size", vocab_size, minimum=8, fix="Pass a vocabulary size such as 8000.")
    seed = check_int("seed", seed, minimum=0)
    character_coverage = check_float("character_coverage", character_coverage, positive=True)
    if character_coverage > 1.0:
        raise fail("character_coverage", "in (0, 1]", character_coverage)
    if max_sentences is not None:
        max_sentences = check_int("max_sentences", max_sentences, minimum=1)
    lines = _training_lines(corpus, max_sentences, seed)
    if not lines:
        raise fail("corpus", "a corpus with at least one non-empty sentence", "an empty corpus")
    spm = _sentencepiece()
    settings = {"model_type": "bpe", "vocab_size": vocab_size, "character_coverage": character_coverage,
                "max_sentences": max_sentences, "seed": seed, "sentencepiece": spm.__version__, "format": 1}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for line in lines:
        digest.update(line.encode("utf-8") + b"\n")
    folder = Path(model_dir)
    path = folder / f"bpe{vocab_size}-{digest.hexdigest()[:16]}.model"
    return path, lines, settings


def train_joint_bpe(corpus: ParallelCorpus, vocab_size: int, model_dir: str | Path, seed: int = 0, *,
                    character_coverage: float = 1.0, max_sentences: int | None = None) -> SubwordTokenizer:
    """Learn a joint BPE vocabulary of ``vocab_size`` ids on the corpus's source and target lines.

    Pass the *training* split. The model is cached in ``model_dir`` under a name keyed by a hash
    of the training text and the settings: a second call with the same inputs loads it (and sets
    ``from_cache=True``). ``vocab_size`` is a ceiling: on a corpus too small to fill it, the model
    keeps fewer merges (``tokenizer.vocab_size`` says how many ids it has). It must still hold the
    four special ids plus every character of the corpus (``character_coverage=1.0``, the default,
    keeps all characters; lower it for scripts with thousands of rare characters).
    ``max_sentences`` trains on that many pairs drawn with ``seed`` (``None``: all pairs; BPE on all
    pairs is deterministic and the seed then only enters the cache key).
    """
    path, lines, settings = _model_path_and_lines(corpus, vocab_size, model_dir, seed, character_coverage,
                                                  max_sentences)
    vocab_size, character_coverage = settings["vocab_size"], settings["character_coverage"]
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file():
        return SubwordTokenizer(path, from_cache=True)
    spm = _sentencepiece()
    model = io.BytesIO()
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(lines), model_writer=model, model_type="bpe", vocab_size=vocab_size,
            character_coverage=character_coverage, hard_vocab_limit=False, input_sentence_size=0,
            pad_id=PAD_ID, unk_id=UNK_ID, bos_id=BOS_ID, eos_id=EOS_ID, num_threads=1, minloglevel=2)
    except RuntimeError as error:
        text = str(error)
        if "required_chars" in text or "vocab_size" in text:
            raise fail("vocab_size", "at least the number of distinct characters in the corpus plus 4 special ids",
                       vocab_size, f"Increase vocab_size or lower character_coverage (SentencePiece: {text.split('] ')[-1]})"
                       ) from None
        raise
    temporary = path.with_suffix(f".tmp{os.getpid()}")
    temporary.write_bytes(model.getvalue())
    os.replace(temporary, path)  # atomic: a concurrent reader never sees half a model
    return SubwordTokenizer(path, from_cache=False)
