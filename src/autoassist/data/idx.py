"""Readers for IDX files, the format of MNIST and Fashion-MNIST.

An IDX file is a big-endian header followed by raw data: a 4-byte magic number whose third byte
is the element type (0x08 = uint8) and whose fourth byte is the number of dimensions, then one
4-byte size per dimension. MNIST images use magic 2051 (0x00000803, 3 dimensions) and labels
magic 2049 (0x00000801, 1 dimension). Files may be gzip-compressed (the official releases are).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from autoassist._errors import ParameterError, fail

_UINT8 = 0x08
IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049

_SPLIT_PREFIX = {"train": "train", "test": "t10k"}


class IDXFormatError(ParameterError):
    """An IDX file is truncated, has the wrong magic number or an unsupported element type."""


def read_idx(path: str | Path, *, expected_magic: int | None = None) -> np.ndarray:
    """Read one IDX file (raw or ``.gz``) and return its data as a uint8 array of its stated shape.

    The header is validated before the data is trusted: the first two bytes must be zero, the
    type byte must be 0x08 (uint8, the only type MNIST-family files use), the optional
    ``expected_magic`` must match (2051 images, 2049 labels), and the payload must hold exactly
    the product of the dimensions. Anything else raises :class:`IDXFormatError` naming the file
    and what was wrong, because a silently misread file would train on garbage.
    """
    path = Path(path)
    if not path.is_file():
        raise fail("path", "an existing IDX file", str(path), "Check the path and the file name.")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as exc:  # gzip raises these for corrupt or truncated archives
        raise IDXFormatError(f"Cannot read IDX file {path}: {exc}. The file is corrupt or truncated; fetch it again.") from None
    if len(raw) < 4:
        raise IDXFormatError(f"IDX file {path} is truncated: {len(raw)} bytes, fewer than the 4-byte magic number.")
    zero0, zero1, dtype_code, ndim = raw[0], raw[1], raw[2], raw[3]
    magic = int.from_bytes(raw[:4], "big")
    if zero0 != 0 or zero1 != 0 or ndim == 0:
        raise IDXFormatError(
            f"IDX file {path} has wrong magic number 0x{magic:08x}; expected 0x00000803 (images) or "
            "0x00000801 (labels). Is it an IDX file (and not, say, a gzip file without the .gz suffix)?"
        )
    if dtype_code != _UINT8:
        raise IDXFormatError(f"IDX file {path} has element type 0x{dtype_code:02x}; only 0x08 (uint8) is supported.")
    if expected_magic is not None and magic != expected_magic:
        raise IDXFormatError(
            f"IDX file {path} has wrong magic number {magic} (0x{magic:08x}); expected {expected_magic} "
            f"(0x{expected_magic:08x}, {'images' if expected_magic == IMAGES_MAGIC else 'labels'})."
        )
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise IDXFormatError(f"IDX file {path} is truncated: the header promises {ndim} dimensions but the file has {len(raw)} bytes.")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape, dtype=np.int64))
    actual = len(raw) - header_size
    if actual != expected:
        state = "truncated" if actual < expected else "longer than its header says"
        raise IDXFormatError(
            f"IDX file {path} is {state}: shape {shape} needs {expected} data bytes, found {actual}. Fetch the file again."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape).copy()


def _candidates(prefix: str, kind: str) -> list[str]:
    """File names tried for one split and kind ('images-idx3' or 'labels-idx1'), in order."""
    what, idx = kind.split("-")
    names = [f"{prefix}-{what}-{idx}-ubyte", f"{prefix}-{what}.{idx}-ubyte"]
    return [name + suffix for name in names for suffix in (".gz", "")]


def _find(data_dir: Path, names: list[str]) -> Path | None:
    for name in names:
        if (data_dir / name).is_file():
            return data_dir / name
    return None


def load_mnist_family(data_dir: str | Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Load one split of MNIST or Fashion-MNIST from the official IDX files in ``data_dir``.

    Returns ``(images, labels)``: images uint8 of shape (N, 28, 28), labels int64 of shape (N,).
    ``split`` is "train" (``train-*``) or "test" (``t10k-*``); the files may be gzip-compressed,
    and the ``train-images.idx3-ubyte`` spelling is accepted too. Image and label counts must agree.
    """
    if split not in _SPLIT_PREFIX:
        raise fail("split", "'train' or 'test'", repr(split))
    folder = Path(data_dir)
    prefix = _SPLIT_PREFIX[split]
    image_names, label_names = _candidates(prefix, "images-idx3"), _candidates(prefix, "labels-idx1")
    image_path, label_path = _find(folder, image_names), _find(folder, label_names)
    if image_path is None or label_path is None:
        missing = image_names if image_path is None else label_names
        state = "does not exist" if not folder.is_dir() else "holds none of " + ", ".join(missing)
        raise fail(
            "data_dir",
            f"a folder holding {prefix}-images-idx3-ubyte(.gz) and {prefix}-labels-idx1-ubyte(.gz)",
            str(folder),
            f"The folder {folder} {state}. Pass --data-dir pointing at the folder holding the four "
            "MNIST-family IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
            "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz).",
        )
    images = read_idx(image_path, expected_magic=IMAGES_MAGIC)
    labels = read_idx(label_path, expected_magic=LABELS_MAGIC)
    if images.ndim != 3:
        raise IDXFormatError(f"IDX file {image_path} has shape {images.shape}; expected (N, rows, cols).")
    if labels.shape[0] != images.shape[0]:
        raise IDXFormatError(
            f"{image_path} holds {images.shape[0]} images but {label_path} holds {labels.shape[0]} labels; "
            "the two files come from different releases or one is damaged."
        )
    return images, labels.astype(np.int64)
