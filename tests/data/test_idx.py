from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from autoassist._errors import ParameterError
from autoassist.data.idx import IDXFormatError, load_mnist_family, read_idx


def idx_bytes(array: np.ndarray) -> bytes:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write(path: Path, data: bytes) -> Path:
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as handle:
            handle.write(data)
    else:
        path.write_bytes(data)
    return path


def write_split(folder: Path, prefix: str, n: int, *, gz: bool, seed: int = 0, dot: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    suffix = ".gz" if gz else ""
    sep = "." if dot else "-"
    write(folder / f"{prefix}-images{sep}idx3-ubyte{suffix}", idx_bytes(images))
    write(folder / f"{prefix}-labels{sep}idx1-ubyte{suffix}", idx_bytes(labels))
    return images, labels


@pytest.mark.parametrize("name", ["x-idx3-ubyte", "x-idx3-ubyte.gz"])
def test_read_idx_raw_and_gz(tmp_path: Path, name: str) -> None:
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    out = read_idx(write(tmp_path / name, idx_bytes(array)))
    assert out.dtype == np.uint8 and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, array)


def test_read_idx_bad_magic_names_file(tmp_path: Path) -> None:
    path = write(tmp_path / "bad", b"\x1f\x8b\x08\x03" + b"\x00" * 20)
    with pytest.raises(IDXFormatError, match="bad.*wrong magic"):
        read_idx(path)


def test_read_idx_expected_magic(tmp_path: Path) -> None:
    path = write(tmp_path / "labels", idx_bytes(np.zeros(5, dtype=np.uint8)))
    with pytest.raises(IDXFormatError, match="wrong magic number 2049.*expected 2051"):
        read_idx(path, expected_magic=2051)


def test_read_idx_wrong_type_byte(tmp_path: Path) -> None:
    path = write(tmp_path / "f", struct.pack(">BBBBI", 0, 0, 0x0D, 1, 2) + b"\x00" * 8)
    with pytest.raises(IDXFormatError, match="element type 0x0d"):
        read_idx(path)


@pytest.mark.parametrize("cut", [2, 10, 40])
def test_read_idx_truncated(tmp_path: Path, cut: int) -> None:
    data = idx_bytes(np.zeros((2, 4, 4), dtype=np.uint8))
    path = write(tmp_path / "t.gz", data[:cut])
    with pytest.raises(IDXFormatError, match="t.gz.*truncated"):
        read_idx(path)


def test_read_idx_corrupt_gzip(tmp_path: Path) -> None:
    data = (tmp_path / "ok.gz")
    write(data, idx_bytes(np.zeros((50, 4), dtype=np.uint8)))
    (tmp_path / "cut.gz").write_bytes(data.read_bytes()[:-10])
    with pytest.raises(IDXFormatError, match="cut.gz"):
        read_idx(tmp_path / "cut.gz")


@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_family(tmp_path: Path, gz: bool) -> None:
    images, labels = write_split(tmp_path, "train", 7, gz=gz)
    write_split(tmp_path, "t10k", 3, gz=gz, seed=1)
    x, y = load_mnist_family(tmp_path, "train")
    assert x.dtype == np.uint8 and x.shape == (7, 28, 28)
    assert y.dtype == np.int64 and y.shape == (7,)
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)
    assert load_mnist_family(tmp_path, "test")[0].shape == (3, 28, 28)


def test_load_mnist_family_dot_names(tmp_path: Path) -> None:
    write_split(tmp_path, "t10k", 4, gz=False, dot=True)
    assert load_mnist_family(tmp_path, "test")[1].shape == (4,)


def test_load_mnist_family_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="(?s)holds none of train-images-idx3-ubyte.gz.*--data-dir"):
        load_mnist_family(tmp_path, "train")


def test_load_mnist_family_count_mismatch(tmp_path: Path) -> None:
    write_split(tmp_path, "train", 5, gz=True)
    write(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(np.zeros(4, dtype=np.uint8)))
    with pytest.raises(IDXFormatError, match="5 images but .* 4 labels"):
        load_mnist_family(tmp_path, "train")


def test_load_mnist_family_bad_split(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="split"):
        load_mnist_family(tmp_path, "val")
