from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from autoassist._errors import ParameterError
from autoassist.data.parallel import ParallelCorpus, load_parallel


def _write(path: Path, lines: list[str], gz: bool = False) -> None:
    text = "".join(line + "\n" for line in lines)
    if gz:
        with gzip.open(str(path) + ".gz", "wt", encoding="utf-8") as f:
            f.write(text)
    else:
        path.write_text(text, encoding="utf-8")


def test_reads_plain_and_gz_and_lowercases(tmp_path: Path) -> None:
    _write(tmp_path / "train.en", ["A dog .", "Two Men"])
    _write(tmp_path / "train.de", ["Ein Hund .", "Zwei Männer"], gz=True)
    corpus = load_parallel(tmp_path, "train")
    assert corpus.src == ["A dog .", "Two Men"] and corpus.tgt == ["Ein Hund .", "Zwei Männer"]
    assert len(corpus) == 2
    lower = load_parallel(tmp_path, "train", lowercase=True)
    assert lower.tgt[1] == "zwei männer"
    assert load_parallel(tmp_path, "train", src="de", tgt="en").src == corpus.tgt


def test_different_line_counts_name_longer_file_and_line(tmp_path: Path) -> None:
    _write(tmp_path / "val.en", ["a", "b", "c"])
    _write(tmp_path / "val.de", ["x", "y"])
    with pytest.raises(ParameterError, match=r"val\.en is longer: its line 3 has no partner in val\.de"):
        load_parallel(tmp_path, "val")


def test_empty_line_on_one_side_is_named(tmp_path: Path) -> None:
    _write(tmp_path / "val.en", ["a", "b", "c"])
    _write(tmp_path / "val.de", ["x", "  ", "z"])
    with pytest.raises(ParameterError, match=r"line 2 is empty in val\.de but not in val\.en"):
        load_parallel(tmp_path, "val")


def test_missing_file_and_folder(tmp_path: Path) -> None:
    _write(tmp_path / "train.en", ["a"])
    with pytest.raises(FileNotFoundError, match="train.de"):
        load_parallel(tmp_path, "train")
    with pytest.raises(FileNotFoundError, match="data_dir"):
        load_parallel(tmp_path / "nope", "train")


def test_corpus_checks_lengths_and_subsets() -> None:
    with pytest.raises(ParameterError, match="equal length"):
        ParallelCorpus(["a"], [])
    c = ParallelCorpus(["a", "b", "c"], ["x", "y", "z"])
    assert c.subset([2, 0]) == ParallelCorpus(["c", "a"], ["z", "x"])
