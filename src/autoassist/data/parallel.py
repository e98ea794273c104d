"""Line-aligned parallel text: a ``ParallelCorpus`` and a loader for ``{split}.{lang}[.gz]`` files.

Line i of the source file pairs with line i of the target file (the layout of Multi30k, WMT and
most translation releases). The loader refuses corpora whose alignment is broken, naming the files
(and the line, where it can be known), rather than silently pairing the wrong sentences: two files
of different lengths, or a line that is empty on one side only. It also refuses files it cannot read
as UTF-8 text (plain or gzip) and a split given both plain and ``.gz``. Multi30k's splits are ``train``,
``val`` and ``test_2016_flickr``.
"""

from __future__ import annotations

import gzip
import zlib
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


def split_file(data_dir: Path, split: str, lang: str, *, name: str = "data_dir") -> Path | None:
    """``{split}.{lang}`` or ``{split}.{lang}.gz`` in ``data_dir``, if there is one.

    Both at once are refused (``name`` is the parameter or flag the error names): they may hold different text,
    and silently preferring one would train or evaluate on a file the user did not mean.
    """
    found = [data_dir / file for file in (f"{split}.{lang}", f"{split}.{lang}.gz") if (data_dir / file).is_file()]
    if len(found) == 2:
        raise fail(name, f"a folder holding one of {split}.{lang} and {split}.{lang}.gz, not both", str(data_dir),
                   "Remove or move one of them (they may hold different text, and neither is preferred).")
    return found[0] if found else None


def _find(data_dir: Path, split: str, lang: str) -> Path:
    found = split_file(data_dir, split, lang)
    if found is not None:
        return found
    raise FileNotFoundError(
        f"no file {split}.{lang} or {split}.{lang}.gz in {data_dir}. Pass the folder that holds the corpus "
        f"(for Multi30k, splits are {', '.join(MULTI30K_SPLITS)}) and check split={split!r} and the language codes.")


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed when its name ends in ``.gz``; an unreadable file is one clear error."""
    try:
        if path.suffix != ".gz":
            return path.read_bytes()
        with gzip.open(path, "rb") as handle:
            return handle.read()
    except PermissionError:
        raise fail(str(path), "a file this user can read", "a file without read permission",
                   f"Give this user read permission (chmod u+r {path.name}).") from None
    except EOFError:
        raise fail(str(path), "a complete gzip file", "one that ends before gzip's end-of-stream marker (truncated)",
                   "Download it again, or recompress the plain file (gzip -t checks a .gz file).") from None
    except gzip.BadGzipFile as error:
        raise fail(str(path), "a gzip-compressed file (its name ends in .gz)", f"a file gzip cannot read ({error})",
                   "If it is plain text, drop .gz from its name; otherwise download it again or recompress it "
                   "(gzip -t checks a .gz file).") from None
    except zlib.error as error:
        raise fail(str(path), "an intact gzip file", f"corrupt compressed data ({error})",
                   "Download it again, or recompress the plain file (gzip -t checks a .gz file).") from None


def _read_lines(path: Path) -> list[str]:
    """The file's lines as UTF-8 text (a leading byte order mark dropped), stripped, a final newline ending the last
    line rather than starting an empty one."""
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise fail(str(path), "UTF-8 text", f"byte 0x{data[error.start]:02x} on line {line}, which is not UTF-8",
                   "Convert the file to UTF-8 (for Latin-1 text: iconv -f latin1 -t utf-8 FILE > FILE.utf8, then "
                   "replace FILE with it).") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":  # a final newline ends the last line; it does not start an empty one
        lines.pop()
    return [line.rstrip("\r").strip() for line in lines]


def load_parallel(data_dir: str | Path, split: str, src: str = "en", tgt: str = "de", *,
                  lowercase: bool = False) -> ParallelCorpus:
    """Read ``{split}.{src}`` and ``{split}.{tgt}`` (plain or ``.gz``) from ``data_dir``.

    Files are read as UTF-8 (a leading byte order mark is dropped). Lines are stripped of surrounding
    whitespace; ``lowercase=True`` also lower-cases them (the usual Multi30k recipe). Raises
    ``ParameterError`` when a file is not UTF-8 (naming the line), a ``.gz`` file is truncated or not
    gzip, both ``{split}.{lang}`` and ``{split}.{lang}.gz`` exist, or the files are not line aligned:
    different line counts (both counts are given; where the break lies cannot be told from them), or
    a line empty in one file only (the message names the line). Pairs empty on both sides are kept
    as they are.
    """
    folder = Path(data_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"data_dir must be an existing folder; got {str(folder)!r}. "
                                "Pass the folder that holds the corpus files.")
    src_path, tgt_path = _find(folder, split, src), _find(folder, split, tgt)
    src_lines, tgt_lines = _read_lines(src_path), _read_lines(tgt_path)
    if len(src_lines) != len(tgt_lines):
        # where the files part is not knowable from the counts: the line missing (or extra) may be anywhere
        raise ParameterError(
            f"parallel files must have the same number of lines; got {len(src_lines)} lines in {src_path.name} "
            f"and {len(tgt_lines)} in {tgt_path.name}: a line is missing or extra somewhere in one of them, not "
            "necessarily at the end (line i of one file pairs with line i of the other). Check that both files "
            "come from the same release and split.")
    for number, (s, t) in enumerate(zip(src_lines, tgt_lines), start=1):
        if bool(s) != bool(t):
            empty, other = (src_path, tgt_path) if not s else (tgt_path, src_path)
            raise ParameterError(
                f"parallel files must have a sentence on both sides of every line; line {number} is empty in "
                f"{empty.name} but not in {other.name}. The files are probably misaligned at or before that line; "
                "check that both come from the same release and split.")
    if lowercase:
        src_lines = [s.lower() for s in src_lines]
        tgt_lines = [t.lower() for t in tgt_lines]
    return ParallelCorpus(src_lines, tgt_lines)
