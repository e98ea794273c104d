"""Line-aligned parallel text: a ``ParallelCorpus`` and a loader for ``{split}.{lang}[.gz]`` files.

Line i of the source file pairs with line i of the target file (the layout of Multi30k, WMT and
most translation releases). The loader refuses corpora whose alignment is broken, naming the file
and line, rather than silently pairing the wrong sentences: two files of different lengths, or a
line that is empty on one side only. Multi30k's splits are ``train``, ``val`` and
``test_2016_flickr``.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

from autoassist._errors import ParameterError, fail

MULTI30K_SPLITS = ("train", "val", "test_2016_flickr")

__all__ = ["MULTI30K_SPLITS", "ParallelCorpus", "load_parallel"]


@dataclass
class ParallelCorpus:
    """Sentence pairs: ``src[i]`` translates to ``tgt[i]``. Instance i is pair i."""

    src: list[str]
    tgt: list[str]

    def __post_init__(self) -> None:
        if len(self.src) != len(self.tgt):
            raise fail("ParallelCorpus", "two lists of equal length (one target per source sentence)",
                       f"{len(self.src)} source and {len(self.tgt)} target sentences")

    def __len__(self) -> int:
        return len(self.src)

    def subset(self, indices: list[int] | range) -> ParallelCorpus:
        """Return the pairs at ``indices``, in that order."""
        return ParallelCorpus([self.src[i] for i in indices], [self.tgt[i] for i in indices])


def split_file(data_dir: Path, split: str, lang: str) -> Path | None:
    """``{split}.{lang}`` or ``{split}.{lang}.gz`` in ``data_dir``, if there is one."""
    for name in (f"{split}.{lang}", f"{split}.{lang}.gz"):
        if (data_dir / name).is_file():
            return data_dir / name
    return None


def _find(data_dir: Path, split: str, lang: str) -> Path:
    found = split_file(data_dir, split, lang)
    if found is not None:
        return found
    raise FileNotFoundError(
        f"no file {split}.{lang} or {split}.{lang}.gz in {data_dir}. Pass the folder that holds the corpus "
        f"(for Multi30k, splits are {', '.join(MULTI30K_SPLITS)}) and check split={split!r} and the language codes.")


def _read_lines(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="\n") as handle:  # type: ignore[operator]
        text = handle.read()
    lines = text.split("\n")
    if lines and lines[-1] == "":  # a final newline ends the last line; it does not start an empty one
        lines.pop()
    return [line.rstrip("\r").strip() for line in lines]


def load_parallel(data_dir: str | Path, split: str, src: str = "en", tgt: str = "de", *,
                  lowercase: bool = False) -> ParallelCorpus:
    """Read ``{split}.{src}`` and ``{split}.{tgt}`` (plain or ``.gz``) from ``data_dir``.

    Lines are stripped of surrounding whitespace; ``lowercase=True`` also lower-cases them (the
    usual Multi30k recipe). Raises ``ParameterError`` when the files are not line aligned: one has
    more lines (the message names the longer file and the first line number beyond the shorter),
    or a line is empty in one file only (the message names the line). Pairs empty on both sides
    are kept as they are.
    """
    folder = Path(data_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"data_dir must be an existing folder; got {str(folder)!r}. "
                                "Pass the folder that holds the corpus files.")
    src_path, tgt_path = _find(folder, split, src), _find(folder, split, tgt)
    src_lines, tgt_lines = _read_lines(src_path), _read_lines(tgt_path)
    if len(src_lines) != len(tgt_lines):
        longer, shorter = (src_path, tgt_path) if len(src_lines) > len(tgt_lines) else (tgt_path, src_path)
        short_len = min(len(src_lines), len(tgt_lines))
        raise ParameterError(
            f"parallel files must have the same number of lines; got {len(src_lines)} lines in {src_path.name} "
            f"and {len(tgt_lines)} in {tgt_path.name}. {longer.name} is longer: its line {short_len + 1} has no "
            f"partner in {shorter.name}. Check that both files come from the same release and split.")
    for number, (s, t) in enumerate(zip(src_lines, tgt_lines), start=1):
        if bool(s) != bool(t):
            empty, other = (src_path, tgt_path) if not s else (tgt_path, src_path)
            raise ParameterError(
                f"parallel files must have a sentence on both sides of every line; line {number} is empty in "
                f"{empty.name} but not in {other.name}. The files are probably misaligned from there on; "
                "check that both come from the same release and split.")
    if lowercase:
        src_lines = [s.lower() for s in src_lines]
        tgt_lines = [t.lower() for t in tgt_lines]
    return ParallelCorpus(src_lines, tgt_lines)
