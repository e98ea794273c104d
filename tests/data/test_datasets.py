from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from autoassist._errors import ParameterError
from autoassist.data.datasets import load_dataset


def write_split(folder: Path, prefix: str, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Write gzip IDX images and labels for one split; return what was written."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
        header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + b"".join(struct.pack(">I", d) for d in array.shape)
        with gzip.open(folder / f"{prefix}-{kind}-ubyte.gz", "wb") as handle:
            handle.write(header + array.tobytes())
    return images, labels


FASHION = Path(__file__).parents[2] / ".." / "shared" / "data" / "fashion-mnist"


def test_mnist1d_normalised() -> None:
    s = load_dataset("mnist1d", limit_train=300, seed=2)
    assert s.x_train.shape == (300, 1, 40) and s.x_train.dtype == torch.float32
    assert s.x_test.shape == (1000, 1, 40) and s.y_train.dtype == torch.int64
    assert s.num_classes == 10 and s.name == "mnist1d" and s.input_shape == (1, 40)
    assert abs(float(s.x_train.mean())) < 1e-4 and abs(float(s.x_train.std()) - 1) < 1e-3
    assert s.raw_train.shape == (300, 1, 40) and s.raw_train.dtype == np.float32
    np.testing.assert_allclose((s.raw_train - s.mean[0]) / s.std[0], s.x_train.numpy(), atol=1e-5)


def test_idx_dataset_with_limit(tmp_path: Path) -> None:
    images, labels = write_split(tmp_path, "train", 30)
    write_split(tmp_path, "t10k", 6, seed=1)
    s = load_dataset("fashion-mnist", tmp_path, limit_train=10, seed=0)
    assert s.x_train.shape == (10, 1, 28, 28) and s.x_test.shape == (6, 1, 28, 28)
    assert s.raw_train.max() <= 255 and s.raw_train.dtype == np.float32
    assert abs(float(s.x_train.mean())) < 1e-4
    # the subset is a seeded choice of real training instances, kept in order
    rows = [int(np.flatnonzero((images == img).all(axis=(1, 2)))[0]) for img in s.raw_train[:, 0].astype(np.uint8)]
    assert rows == sorted(rows)
    assert s.y_train.tolist() == labels[rows].tolist()
    again = load_dataset("mnist", tmp_path, limit_train=10, seed=0)
    assert torch.equal(again.x_train, s.x_train)


def test_cifar_dataset_per_channel(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(8, 32, 32, 3), dtype=np.uint8)
    x[..., 2] //= 4  # channels with different statistics
    np.savez(tmp_path / "train.npz", x=x, y=np.arange(8) % 10)
    np.savez(tmp_path / "test.npz", x=x[:2], y=np.arange(2))
    s = load_dataset("cifar10", tmp_path)
    assert s.x_train.shape == (8, 3, 32, 32) and len(s.mean) == 3 and s.mean[2] < s.mean[0] / 2
    per_channel = s.x_train.mean(dim=(0, 2, 3))
    assert torch.allclose(per_channel, torch.zeros(3), atol=1e-4)
    assert float(s.raw_train[0, 1, 4, 5]) == float(x[0, 4, 5, 1])  # NHWC -> NCHW


def test_unknown_name_lists_valid() -> None:
    with pytest.raises(ParameterError, match="'mnist1d', 'fashion-mnist', 'mnist', 'cifar10'"):
        load_dataset("imagenet")


def test_missing_data_dir_names_flag() -> None:
    with pytest.raises(ParameterError, match="(?s)--data-dir.*shared/data/fashion-mnist"):
        load_dataset("fashion-mnist")
    with pytest.raises(ParameterError, match="--data-dir"):
        load_dataset("cifar10")


@pytest.mark.slow
def test_real_fashion_mnist() -> None:
    if not (FASHION / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"Fashion-MNIST not found at {FASHION}")
    s = load_dataset("fashion-mnist", FASHION)
    assert s.x_train.shape == (60000, 1, 28, 28) and s.x_test.shape == (10000, 1, 28, 28)
    assert np.bincount(s.y_train.numpy()).tolist() == [6000] * 10
    assert np.bincount(s.y_test.numpy()).tolist() == [1000] * 10
    assert 70 < s.mean[0] < 76 and 88 < s.std[0] < 92  # the published statistics (72.94, 90.02)
