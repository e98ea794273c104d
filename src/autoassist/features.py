"""Per-instance feature matrices for Assistants, built once before training.

The Assistant scores candidates from this matrix alone, many at once, so a rejected candidate is
never loaded from the dataset (no decoding, no transforms). By default the features are the raw
input, flattened, average-pooled to at most ``max_dim`` values and standardised per column, which
is what the paper's Assistant uses for images.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from autoassist._errors import ParameterTypeError, check_int, fail


@dataclass
class InstanceFeatures:
    """What an Assistant knows about every instance: a feature row and a class label.

    Attributes:
        matrix: float32 array of shape (N, d), standardised per column.
        labels: int64 array of shape (N,), in [0, num_classes).
        num_classes: number of distinct label values the per-class bias covers (1 if unlabelled).
    """

    matrix: np.ndarray
    labels: np.ndarray
    num_classes: int

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])


def pool_inputs(x: np.ndarray | torch.Tensor, max_dim: int = 1024) -> np.ndarray:
    """Flatten each instance of ``x`` (shape (N, ...)) to at most about ``max_dim`` values by average pooling.

    Images, (N, H, W) or channel-first (N, C, H, W), are pooled spatially with the smallest integer
    factor that fits; sequences (N, L) or (N, C, L) are pooled along their length. Returns float32 (N, d).
    """
    max_dim = check_int("max_dim", max_dim, minimum=1)
    t = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x).detach().to("cpu", torch.float32)
    if t.ndim < 2:
        raise fail("x", "an array of shape (N, ...) with one row per instance", f"shape {tuple(t.shape)}")
    n = t.shape[0]
    if t[0].numel() <= max_dim:
        return t.reshape(n, -1).numpy().copy()
    if t.ndim == 3 and t.shape[1] > 8 and t.shape[2] > 8:
        t = t.unsqueeze(1)  # (N, H, W) grey images
    if t.ndim == 4:
        c, h, w = t.shape[1:]
        k = 1
        while c * math.ceil(h / k) * math.ceil(w / k) > max_dim and k < max(h, w):
            k += 1
        pooled = F.adaptive_avg_pool2d(t, (math.ceil(h / k), math.ceil(w / k)))
    else:
        t = t.reshape(n, -1, t.shape[-1]) if t.ndim >= 3 else t.unsqueeze(1)
        c, length = t.shape[1:]
        pooled = F.adaptive_avg_pool1d(t, max(1, max_dim // c))
    return pooled.reshape(n, -1).numpy().copy()


def standardize(matrix: np.ndarray) -> np.ndarray:
    """Columns to zero mean and unit variance (constant columns become zero), float32."""
    m = np.asarray(matrix, dtype=np.float64)
    mean = m.mean(axis=0)
    std = m.std(axis=0)
    std[std < 1e-12] = 1.0
    return ((m - mean) / std).astype(np.float32)


def _split_item(item: Any) -> tuple[Any, Any]:
    if isinstance(item, (tuple, list)) and len(item) >= 2:
        return item[0], item[1]
    return item, None


def _as_label(y: Any) -> int | None:
    if y is None:
        return None
    if isinstance(y, torch.Tensor):
        return int(y.item()) if y.numel() == 1 and not y.is_floating_point() else None
    if isinstance(y, (int, np.integer)) and not isinstance(y, bool):
        return int(y)
    return None


def build_features(
    dataset: Any,
    *,
    features: np.ndarray | torch.Tensor | Callable[[Any], Any] | None = None,
    labels: Sequence[int] | np.ndarray | torch.Tensor | None = None,
    max_dim: int = 1024,
) -> InstanceFeatures:
    """Build the Assistant's feature matrix and labels for every instance of ``dataset``, once.

    Args:
        dataset: a map-style dataset whose item ``i`` is ``(x, y)`` (or just ``x``).
        features: None for pooled raw inputs; an (N, d) array given by the user; or a callable applied
            to each input ``x`` returning a 1-D vector.
        labels: the class of each instance; by default read from the items when they are integers.
        max_dim: pooled raw inputs keep at most about this many values per instance.
    """
    n = len(dataset)
    if n == 0:
        raise fail("dataset", "non-empty", "a dataset of length 0", "Pass the training set you will train on.")
    need_items = features is None or callable(features) or labels is None
    inputs: list[Any] = []
    found_labels: list[int | None] = []
    if need_items:
        for i in range(n):
            x, y = _split_item(dataset[i])
            found_labels.append(_as_label(y))
            if features is None:
                inputs.append(torch.as_tensor(np.asarray(x)) if not isinstance(x, torch.Tensor) else x)
            elif callable(features):
                inputs.append(torch.as_tensor(np.asarray(features(x), dtype=np.float32)).reshape(-1))
    if features is None or callable(features):
        matrix = pool_inputs(torch.stack(inputs), max_dim) if features is None else torch.stack(inputs).numpy()
    else:
        matrix = np.asarray(features.detach().cpu().numpy() if isinstance(features, torch.Tensor) else features)
        if matrix.ndim != 2 or matrix.shape[0] != n:
            raise fail("features", f"an array of shape (N, d) with N = len(dataset) = {n}", f"shape {matrix.shape}",
                       "Give one feature row per training instance, in dataset order.")
    if not np.issubdtype(matrix.dtype, np.number):
        raise ParameterTypeError(f"features must be numeric; got dtype {matrix.dtype}.")
    if not np.all(np.isfinite(matrix)):
        raise fail("features", "finite everywhere", "an array containing NaN or inf", "Clean or impute the features first.")
    label_array = _resolve_labels(labels, found_labels, n)
    num_classes = int(label_array.max()) + 1 if label_array.size else 1
    return InstanceFeatures(standardize(matrix), label_array, num_classes)


def _resolve_labels(labels: Any, found: list[int | None], n: int) -> np.ndarray:
    if labels is not None:
        arr = np.asarray(labels.cpu().numpy() if isinstance(labels, torch.Tensor) else labels)
        if arr.shape != (n,):
            raise fail("labels", f"of shape (N,) with N = len(dataset) = {n}", f"shape {arr.shape}")
        if not np.issubdtype(arr.dtype, np.integer) or (arr.size and arr.min() < 0):
            raise fail("labels", "non-negative integers", f"dtype {arr.dtype}", "Pass class indices 0..C-1.")
        return arr.astype(np.int64)
    if found and all(v is not None for v in found):
        arr = np.asarray(found, dtype=np.int64)
        if arr.min() >= 0:
            return arr
    return np.zeros(n, dtype=np.int64)  # unlabelled: a single shared bias
