"""Load a named dataset as normalised tensors: ``load_dataset("fashion-mnist", data_dir)``.

Names: "mnist1d" (generated locally, needs no files), "fashion-mnist" and "mnist" (a folder of
the official IDX files), "cifar10" (python pickle batches or ``.npz``; see
:mod:`autoassist.data.cifar`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from autoassist._errors import check_int, fail
from autoassist.data.cifar import load_cifar10
from autoassist.data.idx import load_mnist_family
from autoassist.data.mnist1d import make_mnist1d

DATASET_NAMES = ("mnist1d", "fashion-mnist", "mnist", "cifar10")
_NUM_CLASSES = 10
_DIR_HINTS = {
    "fashion-mnist": "the folder holding the four Fashion-MNIST IDX files, for example --data-dir ../shared/data/fashion-mnist",
    "mnist": "the folder holding the four MNIST IDX files (train-images-idx3-ubyte.gz, ...)",
    "cifar10": "the CIFAR-10 python batches folder (cifar-10-batches-py) or .npz file",
}


@dataclass
class Splits:
    """A dataset ready for training: normalised float32 tensors, channels first.

    ``x_train``/``x_test`` are (N, C, H, W) for images or (N, 1, L) for 1-D signals, normalised
    per channel with the *training* split's mean and std (``mean``/``std``); labels are int64.
    ``raw_train`` holds the same training inputs before normalisation (float32, same shape), for
    features that want the original pixel scale.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    num_classes: int
    name: str
    raw_train: np.ndarray
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one instance, without the batch axis."""
        return tuple(self.x_train.shape[1:])


def load_dataset(name: str, data_dir: str | Path | None = None, *, seed: int = 0, limit_train: int | None = None) -> Splits:
    """Load dataset ``name`` and return its normalised train and test :class:`Splits`.

    ``seed`` drives the MNIST-1D generator and the choice of the ``limit_train`` subset (a
    seeded random subset of that many training instances, in their original order, so small runs
    still see every class). The test split is never subsampled. Normalisation statistics come
    from the training instances actually used.
    """
    key = name.lower().replace("_", "-") if isinstance(name, str) else name
    if key not in DATASET_NAMES:
        raise fail("dataset", "one of " + ", ".join(repr(n) for n in DATASET_NAMES), repr(name))
    seed = check_int("seed", seed, minimum=0)
    if limit_train is not None:
        limit_train = check_int("limit_train", limit_train, minimum=1)
    if key == "mnist1d":
        arrays = make_mnist1d(num_train=limit_train or 4000, seed=seed)
        x_tr, y_tr = arrays.x_train[:, None, :], arrays.y_train
        x_te, y_te = arrays.x_test[:, None, :], arrays.y_test
    else:
        if data_dir is None:
            raise fail("data_dir", f"given for dataset {key!r}", None, f"Pass --data-dir pointing at {_DIR_HINTS[key]}.")
        if key == "cifar10":
            (x_tr, y_tr), (x_te, y_te) = load_cifar10(data_dir, "train"), load_cifar10(data_dir, "test")
            x_tr, x_te = x_tr.transpose(0, 3, 1, 2), x_te.transpose(0, 3, 1, 2)
        else:
            (x_tr, y_tr), (x_te, y_te) = load_mnist_family(data_dir, "train"), load_mnist_family(data_dir, "test")
            x_tr, x_te = x_tr[:, None], x_te[:, None]
        if limit_train is not None and limit_train < len(y_tr):
            keep = np.sort(np.random.default_rng(seed).choice(len(y_tr), size=limit_train, replace=False))
            x_tr, y_tr = x_tr[keep], y_tr[keep]
    return _normalise(key, np.ascontiguousarray(x_tr, dtype=np.float32), y_tr, np.asarray(x_te, dtype=np.float32), y_te)


def _normalise(name: str, x_tr: np.ndarray, y_tr: np.ndarray, x_te: np.ndarray, y_te: np.ndarray) -> Splits:
    """Standardise each channel with the training split's statistics and wrap everything as tensors."""
    axes = (0,) + tuple(range(2, x_tr.ndim))
    mean = x_tr.mean(axis=axes, dtype=np.float64)
    std = x_tr.std(axis=axes, dtype=np.float64)
    std = np.where(std > 0, std, 1.0)
    shape = (1, -1) + (1,) * (x_tr.ndim - 2)
    m, s = mean.reshape(shape).astype(np.float32), std.reshape(shape).astype(np.float32)
    return Splits(
        x_train=torch.from_numpy((x_tr - m) / s),
        y_train=torch.from_numpy(np.asarray(y_tr, dtype=np.int64)),
        x_test=torch.from_numpy((x_te - m) / s),
        y_test=torch.from_numpy(np.asarray(y_te, dtype=np.int64)),
        num_classes=_NUM_CLASSES,
        name=name,
        raw_train=x_tr,
        mean=tuple(float(v) for v in mean),
        std=tuple(float(v) for v in std),
    )
