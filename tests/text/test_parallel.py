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


def test_different_line_counts_give_both_counts_and_claim_no_line(tmp_path: Path) -> None:
    # line 2 of val.de is missing: the counts cannot tell where, so the message names no line (it once blamed line 5)
    _write(tmp_path / "val.en", ["a", "b", "c", "d", "e"])
    _write(tmp_path / "val.de", ["x", "z", "w", "v"])
    with pytest.raises(ParameterError) as error:
        load_parallel(tmp_path, "val")
    message = str(error.value)
    assert "got 5 lines in val.en and 4 in val.de: a line is missing or extra somewhere in one of them" in message
    assert "line 5" not in message and "no partner" not in message


def test_a_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    (tmp_path / "train.en").write_bytes("\ufeffTwo men\nA dog\n".encode("utf-8"))
    with gzip.open(tmp_path / "train.de.gz", "wb") as f:
        f.write("\ufeffZwei Männer\nEin Hund\n".encode("utf-8"))
    corpus = load_parallel(tmp_path, "train")
    assert corpus.src == ["Two men", "A dog"] and corpus.tgt == ["Zwei Männer", "Ein Hund"]


def test_a_split_both_plain_and_gz_is_refused(tmp_path: Path) -> None:
    _write(tmp_path / "train.en", ["a"])
    _write(tmp_path / "train.en", ["b"], gz=True)
    _write(tmp_path / "train.de", ["x"])
    with pytest.raises(ParameterError, match=r"data_dir must be a folder holding one of train\.en and train\.en\.gz, "
                                             r"not both; got .*Remove or move one of them"):
        load_parallel(tmp_path, "train")


def test_unreadable_files_are_one_error_naming_the_file_and_the_fix(tmp_path: Path) -> None:
    _write(tmp_path / "train.de", ["x", "y", "z"])
    (tmp_path / "train.en").write_bytes("a\nb\ncaf\u00e9\n".encode("latin-1"))
    with pytest.raises(ParameterError, match=r"train\.en must be UTF-8 text; got byte 0xe9 on line 3, which is not "
                                             r"UTF-8\. Convert the file to UTF-8"):
        load_parallel(tmp_path, "train")
    (tmp_path / "train.en").unlink()
    _write(tmp_path / "train.en", ["a", "b", "c"] * 200, gz=True)
    whole = (tmp_path / "train.en.gz").read_bytes()
    (tmp_path / "train.en.gz").write_bytes(whole[:len(whole) // 2])
    with pytest.raises(ParameterError, match=r"train\.en\.gz must be a complete gzip file; got .*truncated.*"
                                             r"Download it again, or recompress"):
        load_parallel(tmp_path, "train")
    (tmp_path / "train.en.gz").write_text("a\nb\nc\n")   # plain text named .gz
    with pytest.raises(ParameterError, match=r"train\.en\.gz must be a gzip-compressed file .*If it is plain text, "
                                             r"drop \.gz from its name"):
        load_parallel(tmp_path, "train")


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
