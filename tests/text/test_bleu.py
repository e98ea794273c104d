from __future__ import annotations

from pathlib import Path

import pytest
import sacrebleu

from autoassist._errors import ParameterError
from autoassist.bench.bleu import corpus_bleu, detokenize
from autoassist.data.parallel import ParallelCorpus
from autoassist.data.tokenize import train_joint_bpe

HYP = ["the cat sat on the mat .", "a dog runs in the park", "two men play football"]
REF = ["the cat sat on a mat .", "a dog is running in the park", "two men play football"]


def test_equals_sacrebleu_called_directly() -> None:
    score, signature = corpus_bleu(HYP, REF)
    direct = sacrebleu.corpus_bleu(HYP, [REF])
    assert score == pytest.approx(direct.score) and 0 < score < 100
    assert signature.startswith("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:")
    assert corpus_bleu(REF, REF)[0] == pytest.approx(100.0)
    assert "case:lc" in corpus_bleu(HYP, REF, lowercase=True)[1]


def test_detokenize_through_sentencepiece(tmp_path: Path) -> None:
    tok = train_joint_bpe(ParallelCorpus(HYP, REF), 60, tmp_path)
    ids = [[2, *x, 3] for x in tok.encode(REF)]
    assert detokenize(tok, ids) == REF
    assert corpus_bleu(detokenize(tok, ids), REF)[0] == pytest.approx(100.0)


def test_bad_inputs() -> None:
    with pytest.raises(ParameterError, match="one per hypothesis"):
        corpus_bleu(HYP, REF[:2])
    with pytest.raises(ParameterError, match="lists of sentences"):
        corpus_bleu("a b", "a b")  # type: ignore[arg-type]
