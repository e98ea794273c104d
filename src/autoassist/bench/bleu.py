"""Corpus BLEU with sacreBLEU, and the detokenisation that must come before it.

BLEU is computed on *detokenised* text (plain sentences as a person writes them), with sacreBLEU's
own tokeniser, so that scores are comparable across papers and subword vocabularies. The model
produces subword ids; ``detokenize`` turns them back into text through the SentencePiece model,
and ``corpus_bleu`` scores the result against the raw reference sentences (as loaded, lower-cased
if the training data was). Report the signature with the score: it records the tokeniser, casing,
smoothing and sacreBLEU version that produced it.
"""

from __future__ import annotations

from collections.abc import Sequence

from autoassist._errors import fail
from autoassist.data.tokenize import SubwordTokenizer

__all__ = ["corpus_bleu", "detokenize"]


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[str], *, lowercase: bool = False,
                tokenize: str = "13a") -> tuple[float, str]:
    """Return (BLEU score in [0, 100], sacreBLEU signature string) for one reference per hypothesis.

    ``tokenize`` is sacreBLEU's tokeniser name ("13a", its default and WMT's, or "intl", "none", ...);
    ``lowercase=True`` scores case-insensitively. Both appear in the signature.
    """
    try:
        from sacrebleu.metrics import BLEU
    except ImportError:  # pragma: no cover
        raise ImportError("corpus_bleu needs the sacrebleu package: pip install sacrebleu") from None
    if isinstance(hypotheses, str) or isinstance(references, str):
        raise fail("hypotheses and references", "lists of sentences", "a single string",
                   "Wrap a single sentence in a list.")
    if len(hypotheses) != len(references):
        raise fail("references", f"one per hypothesis ({len(hypotheses)})", f"{len(references)} references")
    if not hypotheses:
        raise fail("hypotheses", "a non-empty list of sentences", "an empty list")
    metric = BLEU(lowercase=lowercase, tokenize=tokenize)
    result = metric.corpus_score(list(hypotheses), [list(references)])
    return float(result.score), str(metric.get_signature())


def detokenize(tokenizer: SubwordTokenizer, ids: Sequence[Sequence[int]]) -> list[str]:
    """Turn decoded subword id lists back into sentences (special ids dropped)."""
    return tokenizer.decode_batch(ids)
