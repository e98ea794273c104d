from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from autoassist._errors import ParameterError
from autoassist.data.cifar import CIFARFormatError, load_cifar10


def write_batch(path: Path, n: int, seed: int) -> tuple[np.ndarray, list[int]]:
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
    labels = [int(v) for v in rng.integers(0, 10, size=n)]
    with open(path, "wb") as handle:
        pickle.dump({b"batch_label": b"x", b"data": rows, b"labels": labels, b"filenames": [b"f"] * n}, handle)
    return rows, labels


def write_batches(folder: Path) -> tuple[list[np.ndarray], np.ndarray]:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [write_batch(folder / f"data_batch_{i}", 2, i)[0] for i in range(1, 6)]
    test_rows, _ = write_batch(folder / "test_batch", 3, 9)
    return rows, test_rows


@pytest.mark.parametrize("nested", [False, True])
def test_pickle_batches_hwc(tmp_path: Path, nested: bool) -> None:
    folder = tmp_path / "cifar-10-batches-py" if nested else tmp_path
    rows, test_rows = write_batches(folder)
    x, y = load_cifar10(tmp_path, "train")
    assert x.shape == (10, 32, 32, 3) and x.dtype == np.uint8
    assert y.shape == (10,) and y.dtype == np.int64
    # row layout: 1024 red, then 1024 green, then 1024 blue, each row-major 32x32
    first = rows[0][0]
    assert x[0, 0, 0, 0] == first[0] and x[0, 0, 0, 1] == first[1024] and x[0, 0, 0, 2] == first[2048]
    assert x[0, 2, 5, 1] == first[1024 + 2 * 32 + 5]
    np.testing.assert_array_equal(x[2], rows[1][0].reshape(3, 32, 32).transpose(1, 2, 0))
    xt, yt = load_cifar10(tmp_path, "test")
    assert xt.shape == (3, 32, 32, 3)
    np.testing.assert_array_equal(xt.transpose(0, 3, 1, 2).reshape(3, -1), test_rows)


def test_pickle_missing_batch(tmp_path: Path) -> None:
    write_batches(tmp_path)
    (tmp_path / "data_batch_3").unlink()
    with pytest.raises(ParameterError, match="lacks data_batch_3"):
        load_cifar10(tmp_path, "train")


def test_pickle_wrong_row_size(tmp_path: Path) -> None:
    with open(tmp_path / "test_batch", "wb") as handle:
        pickle.dump({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}, handle)
    with pytest.raises(CIFARFormatError, match="3072"):
        load_cifar10(tmp_path, "test")


def test_npz_folder(tmp_path: Path) -> None:
    x = np.random.default_rng(0).integers(0, 256, size=(4, 32, 32, 3), dtype=np.uint8)
    np.savez(tmp_path / "train.npz", x=x, y=np.arange(4, dtype=np.int32))
    np.savez(tmp_path / "test.npz", x=x[:2], y=np.arange(2))
    xs, ys = load_cifar10(tmp_path, "train")
    np.testing.assert_array_equal(xs, x)
    assert ys.dtype == np.int64 and list(ys) == [0, 1, 2, 3]
    assert load_cifar10(tmp_path, "test")[0].shape == (2, 32, 32, 3)


def test_npz_single_file(tmp_path: Path) -> None:
    x = np.zeros((3, 32, 32, 3), np.uint8)
    np.savez(tmp_path / "c.npz", x_train=x, y_train=np.ones(3, np.uint8), x_test=x[:1], y_test=np.zeros(1, np.int64))
    xs, ys = load_cifar10(tmp_path / "c.npz", "train")
    assert xs.shape == (3, 32, 32, 3) and ys.dtype == np.int64
    assert load_cifar10(tmp_path / "c.npz", "test")[1].shape == (1,)


def test_npz_wrong_layout(tmp_path: Path) -> None:
    np.savez(tmp_path / "c.npz", x_train=np.zeros((3, 3, 32, 32), np.uint8), y_train=np.zeros(3))
    with pytest.raises(CIFARFormatError, match="NHWC"):
        load_cifar10(tmp_path / "c.npz", "train")
    with pytest.raises(CIFARFormatError, match="lacks"):
        load_cifar10(tmp_path / "c.npz", "test")


def test_unknown_layout(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="(?s)data_batch_1.*train.npz.*--data-dir"):
        load_cifar10(tmp_path, "train")
