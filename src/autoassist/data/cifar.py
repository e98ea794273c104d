"""CIFAR-10 from the official python pickle batches or from numpy ``.npz`` arrays.

Accepted layouts for ``path`` (checked in this order):

1. a folder holding the official python batches ``data_batch_1`` ... ``data_batch_5`` and
   ``test_batch`` (the contents of ``cifar-10-python.tar.gz``), or a folder whose
   ``cifar-10-batches-py`` subfolder holds them;
2. a folder holding ``train.npz`` and ``test.npz``, each with arrays ``x`` (uint8, N x 32 x 32 x 3)
   and ``y`` (integer labels, N);
3. a single ``.npz`` file with arrays ``x_train``, ``y_train``, ``x_test``, ``y_test`` (same formats).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from autoassist._errors import ParameterError, fail

_TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
_TEST_BATCH = "test_batch"
_LAYOUTS = (
    "a folder holding the CIFAR-10 python batches (data_batch_1..5, test_batch, or their "
    "cifar-10-batches-py subfolder), a folder holding train.npz and test.npz (arrays x uint8 NHWC, y), "
    "or one .npz file with x_train, y_train, x_test, y_test"
)


class CIFARFormatError(ParameterError):
    """A CIFAR-10 file does not hold what the documented layout promises."""


def load_cifar10(path: str | Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Load one split of CIFAR-10 and return ``(x, y)``: x uint8 (N, 32, 32, 3) NHWC, y int64 (N,).

    ``split`` is "train" or "test". See the module docstring for the accepted layouts. The pickle
    batches store each image as a CHW-flattened row of 3072 bytes; they are transposed to HWC
    here so every layout returns the same thing.
    """
    if split not in ("train", "test"):
        raise fail("split", "'train' or 'test'", repr(split))
    root = Path(path)
    if root.is_dir():
        for folder in (root, root / "cifar-10-batches-py"):
            if (folder / _TEST_BATCH).is_file() or (folder / _TRAIN_BATCHES[0]).is_file():
                return _load_pickle_split(folder, split)
        if (root / "train.npz").is_file() or (root / "test.npz").is_file():
            return _load_npz(root / f"{split}.npz", "x", "y")
    elif root.is_file() and root.suffix == ".npz":
        return _load_npz(root, f"x_{split}", f"y_{split}")
    state = "does not exist" if not root.exists() else "matches none of these layouts"
    raise fail("data_dir", _LAYOUTS, str(root), f"The path {root} {state}. Pass --data-dir pointing at one of them.")


def _load_pickle_split(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    names = _TRAIN_BATCHES if split == "train" else (_TEST_BATCH,)
    xs, ys = [], []
    for name in names:
        file = folder / name
        if not file.is_file():
            raise fail("data_dir", f"a folder holding {', '.join(names)}", str(folder),
                       f"The folder {folder} lacks {name}; unpack the complete cifar-10-python.tar.gz there.")
        with open(file, "rb") as handle:
            try:
                batch = pickle.load(handle, encoding="bytes")
            except Exception as exc:  # noqa: BLE001 - any unpickling failure means a bad file
                raise CIFARFormatError(f"Cannot unpickle CIFAR-10 batch {file}: {exc}.") from None
        data, labels = _field(batch, "data", file), _field(batch, "labels", file)
        data = np.asarray(data)
        if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
            raise CIFARFormatError(f"CIFAR-10 batch {file} has data of dtype {data.dtype} and shape {data.shape}; "
                                   "expected uint8 rows of 3072 bytes.")
        labels = np.asarray(labels, dtype=np.int64)
        if labels.shape != (data.shape[0],):
            raise CIFARFormatError(f"CIFAR-10 batch {file} has {data.shape[0]} images but {labels.size} labels.")
        xs.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        ys.append(labels)
    return np.ascontiguousarray(np.concatenate(xs)), np.concatenate(ys)


def _field(batch: object, key: str, file: Path) -> object:
    if isinstance(batch, dict):
        for candidate in (key.encode(), key):
            if candidate in batch:
                return batch[candidate]
    raise CIFARFormatError(f"CIFAR-10 batch {file} is not a dict with a {key!r} entry.")


def _load_npz(file: Path, x_key: str, y_key: str) -> tuple[np.ndarray, np.ndarray]:
    if not file.is_file():
        raise fail("data_dir", _LAYOUTS, str(file.parent),
                   f"The folder {file.parent} lacks {file.name}. Pass --data-dir pointing at one of these layouts.")
    with np.load(file, allow_pickle=False) as arrays:
        missing = [k for k in (x_key, y_key) if k not in arrays.files]
        if missing:
            raise CIFARFormatError(f"{file} has arrays {sorted(arrays.files)}; it lacks {missing}. {_LAYOUTS[0].upper()}{_LAYOUTS[1:]}.")
        x, y = arrays[x_key], arrays[y_key]
    if x.dtype != np.uint8 or x.ndim != 4 or x.shape[1:] != (32, 32, 3):
        raise CIFARFormatError(f"{file}[{x_key!r}] has dtype {x.dtype} and shape {x.shape}; expected uint8 (N, 32, 32, 3) NHWC.")
    if y.ndim != 1 or y.shape[0] != x.shape[0] or not np.issubdtype(y.dtype, np.integer):
        raise CIFARFormatError(f"{file}[{y_key!r}] has dtype {y.dtype} and shape {y.shape}; expected {x.shape[0]} integer labels.")
    return x, y.astype(np.int64)
