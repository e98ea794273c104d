"""The README's adoption diff, applied and run exactly as written."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import torch
from torch.utils.data import TensorDataset

README = Path(__file__).resolve().parents[1] / "README.md"


def _diff_block() -> str:
    match = re.search(r"<!-- adopt-diff -->\s*```diff\n(.*?)```", README.read_text(), re.S)
    assert match, "README.md must contain the adoption diff after <!-- adopt-diff -->"
    return match.group(1)


def _side(diff: str, keep: str) -> str:
    lines = [line[1:] for line in diff.splitlines() if line[:1] in (" ", keep)]
    return "\n".join(lines) + "\n"


def _context() -> dict[str, object]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 10, generator=g)
    y = (x[:, 0] > 0).long()
    model = torch.nn.Linear(10, 2)
    return {"train_set": TensorDataset(x, y), "model": model, "epochs": 2,
            "opt": torch.optim.SGD(model.parameters(), lr=0.1)}


def test_the_diff_changes_at_most_three_lines_of_the_loop() -> None:
    diff = _diff_block()
    added = [line for line in diff.splitlines() if line.startswith("+") and "import" not in line]
    assert len(added) <= 3


def test_before_and_after_both_run() -> None:
    before = set(threading.enumerate())
    for keep in ("-", "+"):
        scope = _context()
        exec(compile(_side(_diff_block(), keep), "README.md", "exec"), scope)
    assert "assist" in scope and scope["assist"].stats()["steps"] == 2 * 2  # type: ignore[attr-defined]
    assert set(threading.enumerate()) == before


def _sequence_snippet() -> str:
    match = re.search(r"<!-- sequence-snippet -->\s*```python\n(.*?)```", README.read_text(), re.S)
    assert match, "README.md must contain the sequence snippet after <!-- sequence-snippet -->"
    return match.group(1)


def test_the_sequence_snippet_runs(tmp_path: Path) -> None:
    from autoassist.data.synthetic_translation import make_synthetic_translation
    from autoassist.data.tokenize import train_joint_bpe
    from autoassist.models.transformer import Seq2SeqTransformer, TransformerConfig

    before_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        corpus = make_synthetic_translation(120, 0, 0, seed=0).train
        tok = train_joint_bpe(corpus, 120, tmp_path)
        torch.manual_seed(0)
        model = Seq2SeqTransformer(TransformerConfig(tok.vocab_size, d_model=16, n_heads=2, encoder_layers=1,
                                                     decoder_layers=1, d_ff=32))
        scope: dict[str, object] = {"src_ids": tok.encode(corpus.src), "tgt_ids": tok.encode(corpus.tgt),
                                    "vocab_size": tok.vocab_size, "model": model, "epochs": 2,
                                    "opt": torch.optim.Adam(model.parameters(), lr=1e-3)}
        before = set(threading.enumerate())
        exec(compile(_sequence_snippet(), "README.md", "exec"), scope)
        stats = scope["assist"].stats()  # type: ignore[attr-defined]
        assert stats["steps"] == 2 * scope["assist"].steps_per_epoch  # type: ignore[attr-defined]
        assert stats["feedback_batches"] == stats["steps"]
        assert set(threading.enumerate()) == before
    finally:
        torch.set_num_threads(before_threads)


def test_the_forward_selector_snippet_runs() -> None:
    match = re.search(r"<!-- forward-snippet -->\s*```python\n(.*?)```", README.read_text(), re.S)
    assert match, "README.md must contain the ForwardFilter snippet after <!-- forward-snippet -->"
    import torch.nn.functional as F

    scope = {**_context(), "torch": torch, "F": F}
    before = [p.detach().clone() for p in scope["model"].parameters()]  # type: ignore[attr-defined]
    exec(compile(match.group(1), "README.md", "exec"), scope)
    filt = scope["filt"]
    assert 0 < filt.keep_rate < 1 and filt.scanned == 2 * 256  # type: ignore[attr-defined]
    assert any(not torch.equal(a, b) for a, b in zip(before, scope["model"].parameters()))  # type: ignore[attr-defined]
