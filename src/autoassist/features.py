"""Per-instance feature matrices for Assistants, built once before training.

The Assistant scores candidates from this matrix alone, many at once, so a rejected candidate is
never loaded from the dataset (no decoding, no transforms). By default the features are the raw
input, flattened, average-pooled to at most ``max_dim`` values and standardised per column, which
is what the paper's Assistant uses for images. They are read through a ``DataLoader``
(``num_workers`` processes), in chunks written into one preallocated float32 matrix (the peak
memory is the matrix plus one chunk), with a progress bar on large datasets.

Three things to know:

* **Random augmentation**: the features are computed from one read of each instance, i.e. one
  random view. A warning says so when two reads of an instance differ. For augmented or huge
  data, prefer the loss-history Assistant on labels only (``AutoAssist(assistant="loss-only")``),
  which needs no features and costs nothing to build.
* **Items that are not fixed-size tensors** (dicts, token lists of different lengths) have no
  default raw features: pass ``features=`` (an (N, d) array, a scipy sparse matrix, or a callable
  mapping an item's input to a fixed-size vector), or use ``assistant="loss-only"``.
* **Sparse features** (scipy CSR, e.g. TF-IDF of text) are kept sparse and not standardised.
"""

from __future__ import annotations

import math
import random
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch.utils.data import ConcatDataset, DataLoader, Dataset, IterableDataset, Subset, TensorDataset
from tqdm.auto import tqdm

from autoassist._errors import ParameterTypeError, check_int, fail

FeatureMatrix = Any  # np.ndarray (float32, dense) or scipy.sparse.csr_matrix
_FEATURE_FIX = ("Pass features= (an (N, d) array, a scipy sparse matrix, or a callable mapping an input to a "
                "fixed-size vector), or use AutoAssist(..., assistant='loss-only'), which needs no features.")
_MAX_DIM_FIX = ("It caps the values pooled raw inputs keep per instance (at least one per channel); 1024, the "
                "default, suits small images.")


@dataclass
class InstanceFeatures:
    """What an Assistant knows about every instance: a feature row and a class label.

    Attributes:
        matrix: (N, d) float32, dense (standardised per column) or scipy CSR; d may be 0.
        labels: int64 array of shape (N,), in [0, num_classes).
        num_classes: number of distinct labels the per-class bias covers (1 if unlabelled).
    """

    matrix: FeatureMatrix
    labels: np.ndarray
    num_classes: int

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])

    @property
    def sparse(self) -> bool:
        return sp.issparse(self.matrix)

    @classmethod
    def labels_only(cls, labels: np.ndarray, num_classes: int) -> "InstanceFeatures":
        """No feature columns at all: an Assistant then learns from loss history and label only."""
        return cls(np.zeros((len(labels), 0), dtype=np.float32), labels, num_classes)


def pool_inputs(x: np.ndarray | torch.Tensor, max_dim: int = 1024) -> np.ndarray:
    """Flatten each instance of ``x`` (shape (N, ...)) to at most about ``max_dim`` values by average pooling.

    Images, (N, H, W) or channel-first (N, C, H, W), are pooled spatially with the smallest integer
    factor that fits; sequences (N, L) or (N, C, L) are pooled along their length. Every channel keeps
    at least one value, so ``d <= max(max_dim, C)`` (C: the product of the dimensions between N and
    the pooled ones). Returns float32 (N, d).
    """
    max_dim = check_int("max_dim", max_dim, minimum=1, fix=_MAX_DIM_FIX)
    t = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x).detach().to("cpu", torch.float32)
    if t.ndim < 2:
        raise fail("x", "an array of shape (N, ...) with one row per instance", f"shape {tuple(t.shape)}",
                   "Stack the instances along a first dimension, e.g. x.reshape(N, -1) for one value each.")
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


def standardize(matrix: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """Columns to zero mean and unit variance (constant columns become zero), float32, in chunks.

    A float32 input is standardised in place (float64 accumulators); other dtypes are copied once.
    """
    m = matrix if isinstance(matrix, np.ndarray) and matrix.dtype == np.float32 else np.asarray(matrix, np.float32)
    n = len(m)
    total = np.zeros(m.shape[1], dtype=np.float64)
    for s in range(0, n, chunk):
        total += m[s:s + chunk].sum(axis=0, dtype=np.float64)
    mean = total / max(n, 1)
    sq = np.zeros(m.shape[1], dtype=np.float64)
    for s in range(0, n, chunk):
        sq += ((m[s:s + chunk] - mean) ** 2).sum(axis=0)
    std = np.sqrt(sq / max(n, 1))
    std[std < 1e-12] = 1.0
    mean32, std32 = mean.astype(np.float32), std.astype(np.float32)
    for s in range(0, n, chunk):
        m[s:s + chunk] -= mean32
        m[s:s + chunk] /= std32
    return m


def split_item(item: Any) -> tuple[Any, Any]:
    """``(input, label)`` of a dataset item: a pair/tuple, a dict with "label"/"labels", or a bare input."""
    if isinstance(item, dict):
        label = next((item[k] for k in ("label", "labels", "target", "y") if k in item), None)
        return item, label
    if isinstance(item, (tuple, list)) and len(item) >= 2:
        return item[0], item[1]
    return item, None


def as_label(y: Any) -> int | None:
    """An integer class label (a one-element integer tensor or array too), or None if ``y`` is not one."""
    if y is None:
        return None
    if isinstance(y, torch.Tensor):
        return int(y.item()) if y.numel() == 1 and not y.is_floating_point() and not y.is_complex() else None
    if isinstance(y, np.ndarray):
        return int(y.reshape(-1)[0]) if y.size == 1 and _is_class_dtype(y.dtype) else None
    if isinstance(y, (int, np.integer, np.bool_)):  # a bool too: two classes, as a bool tensor or column gives
        return int(y)
    return None


def _is_class_dtype(dtype: Any) -> bool:
    """Whether labels of this numpy dtype are classes: integers, or booleans (two classes)."""
    return bool(np.issubdtype(dtype, np.integer) or dtype == np.bool_)


def _describe(y: Any) -> str:
    """A label that is not an integer class, in a few words (for the warning that says it is not used)."""
    if isinstance(y, (torch.Tensor, np.ndarray)):
        return f"a {str(y.dtype).replace('torch.', '')} {type(y).__name__} of shape {tuple(y.shape)}"
    return f"{_short_repr(y)} of type {type(y).__name__}"


def _short_repr(y: Any) -> str:
    text = repr(y)
    return text if len(text) <= 40 else text[:37] + "..."


# the label of an item: an integer class, none at all (a bare input, a dict without a label key), or something else
_INTEGER, _MISSING, _OTHER = 0, 1, 2


def check_map_style(dataset: Any, name: str = "dataset") -> int:
    """The length of a map-style dataset; a clear error for iterable-style or length-less ones."""
    if isinstance(dataset, IterableDataset):
        raise ParameterTypeError(
            f"{name} must be a map-style dataset (items by index); got the IterableDataset "
            f"{type(dataset).__name__}. Selection needs stable instance indices: load the data into a "
            "map-style Dataset (one with __getitem__ and __len__), e.g. a list of items or a TensorDataset.")
    if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
        raise ParameterTypeError(f"{name} must be a map-style dataset with __getitem__ and __len__; got "
                                 f"{type(dataset).__name__}. Pass a torch Dataset, a list of items or a "
                                 "TensorDataset.")
    n = len(dataset)
    if n == 0:
        raise fail(name, "non-empty", "a dataset of length 0", "Pass the training set you will train on.")
    return n


class _Items(Dataset):
    """Item ``i`` as ``(vector or input tensor, label or 0, kind of label, the label described if not an integer)``,
    for reading through a DataLoader."""

    def __init__(self, dataset: Any, transform: Callable[[Any], Any] | None) -> None:
        self.dataset, self.transform = dataset, transform

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int, int, str]:
        x, y = split_item(self.dataset[i])
        label = as_label(y)
        kind = _INTEGER if label is not None else _MISSING if y is None else _OTHER
        if self.transform is not None:
            out = torch.as_tensor(np.asarray(self.transform(x), dtype=np.float32)).reshape(-1)
        elif isinstance(x, dict):
            raise ParameterTypeError(f"the dataset's items are dicts (keys {sorted(x)[:6]}), which have no default "
                                     f"raw features. {_FEATURE_FIX}")
        elif isinstance(x, torch.Tensor):
            out = x.detach().to("cpu", torch.float32)
        else:
            try:
                out = torch.as_tensor(np.asarray(x, dtype=np.float32))
            except (TypeError, ValueError) as error:
                raise ParameterTypeError(f"the dataset's item {i} has an input of type {type(x).__name__} that is "
                                         f"not a numeric array ({error}). {_FEATURE_FIX}") from None
        if self.transform is None and out.dim() == 0:
            raise ParameterTypeError(f"the dataset's item {i} has a single number as its input ({_describe(x)}), "
                                     "which gives no raw features (TranslationDataset's items are their own "
                                     "indices). For sentence pairs pass features=text_features(src_ids, tgt_ids, "
                                     "vocab_size) (autoassist.text_features: the paper's text Assistant) or use "
                                     "assistant='loss-only'; for other data, " + _FEATURE_FIX[0].lower()
                                     + _FEATURE_FIX[1:])
        return out, 0 if label is None else label, kind, _describe(y) if kind == _OTHER else ""


def _collate(items: list[tuple[torch.Tensor, int, int, str]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, str]:
    """Inputs stacked, labels, their kinds, and the first label that is not an integer, described ("" if none)."""
    shapes = {tuple(item[0].shape) for item in items}
    if len(shapes) > 1:
        shown = ", ".join(str(s) for s in sorted(shapes)[:3])
        raise fail("dataset", "items whose inputs all have one shape (raw features need fixed-size inputs)",
                   f"inputs of shapes {shown}, ...", _FEATURE_FIX)
    other = next((item[3] for item in items if item[2] == _OTHER), "")
    return (torch.stack([item[0] for item in items]), torch.tensor([item[1] for item in items], dtype=torch.int64),
            torch.tensor([item[2] for item in items], dtype=torch.int8), other)


def build_features(
    dataset: Any,
    *,
    features: np.ndarray | torch.Tensor | sp.spmatrix | sp.sparray | Callable[[Any], Any] | None = None,
    labels: Sequence[int] | np.ndarray | torch.Tensor | None = None,
    max_dim: int = 1024,
    num_workers: int = 0,
    chunk_size: int = 512,
    progress: bool | None = None,
) -> InstanceFeatures:
    """Build the Assistant's feature matrix and labels for every instance of ``dataset``, once.

    Args:
        dataset: a map-style dataset whose item ``i`` is ``(x, y)``, a dict, or just ``x``.
        features: None for pooled raw inputs; an (N, d) array or scipy sparse matrix given by the user;
            or a callable applied to each input ``x`` (the whole item for dict items) returning a 1-D vector.
        labels: the class of each instance; by default read from the items when they are all integers (a
            one-element integer tensor counts). Items without a label make one class; labels that are not
            integers (one-hot, strings, floats), or a label on only some items, make one class too, and a
            warning says so.
        max_dim: pooled raw inputs keep at most about this many values per instance, but at least one
            per channel.
        num_workers: DataLoader worker processes that read the items (raw or callable features).
        chunk_size: items read per chunk.
        progress: show a progress bar (default: for datasets of 20,000 instances or more).
    """
    n = check_map_style(dataset)
    max_dim = check_int("max_feature_dim", max_dim, minimum=1, fix=_MAX_DIM_FIX)
    num_workers = check_int("num_workers", num_workers, minimum=0,
                            fix="0 reads the items in this process; a few worker processes speed up slow item reads.")
    chunk_size = check_int("chunk_size", chunk_size, minimum=1,
                           fix="It is how many items are read at a time (default 512).")
    given = features is not None and not callable(features)
    transform = features if callable(features) else None
    matrix: FeatureMatrix = _given_matrix(features, n) if given else None
    found = np.zeros(n, dtype=np.int64)
    kinds = np.full(n, _MISSING, dtype=np.int8)  # what each item's label is (_INTEGER, _MISSING, _OTHER)
    other = ""  # the first item label that is not an integer, described
    tensors = dataset.tensors if isinstance(dataset, TensorDataset) else None
    if tensors is not None and features is None:  # in-memory tensors: pooled in chunks, no item reads
        matrix = _pool_in_chunks(tensors[0], max_dim, chunk_size * 64)
        if len(tensors) > 1:
            column = _integer_column(tensors[1], n)
            if column is not None:
                found, kinds[:] = column, _INTEGER
            else:
                kinds[:], other = _OTHER, _describe(tensors[1][0])
    elif not given or labels is None:  # read the items through a DataLoader, in chunks
        if features is None:
            _warn_if_random(dataset)
        # its own generator: iterating a DataLoader draws a seed, which must not advance the caller's global
        # torch stream (the Boss's dropout would then depend on whether AutoAssist read the items)
        loader = DataLoader(_Items(dataset, (lambda x: np.zeros(0)) if given else transform),
                            batch_size=chunk_size, num_workers=num_workers, collate_fn=_collate,
                            generator=torch.Generator())
        show = n >= 20000 if progress is None else bool(progress)
        chunks = tqdm(loader, desc="autoassist: building features", unit="chunk") if show else loader
        start = 0
        for x, y, kind, note in chunks:
            found[start:start + len(y)] = y.numpy()
            kinds[start:start + len(y)] = kind.numpy()
            other = other or note
            if not given:
                block = x.numpy() if transform is not None else pool_inputs(x, max_dim)
                if matrix is None:
                    matrix = np.empty((n, block.shape[1]), dtype=np.float32)
                matrix[start:start + len(block)] = block
            start += len(y)
    if not given:  # built here from inputs: check, then standardise in place
        if not np.all(np.isfinite(matrix)):
            raise fail("features", "finite everywhere", "inputs containing NaN or inf",
                       "Clean the inputs or pass features= explicitly.")
        matrix = standardize(matrix)
    label_array, num_classes = resolve_labels(labels, None if labels is not None else _item_labels(found, kinds, other),
                                              n)
    return InstanceFeatures(matrix, label_array, num_classes)


def _item_labels(found: np.ndarray, kinds: np.ndarray, other: str) -> np.ndarray | None:
    """The labels read from the items if every item has an integer one; None (one class) otherwise, said in a
    warning unless no item has a label at all (an unlabelled dataset)."""
    if (kinds == _INTEGER).all():
        return found
    if (kinds == _MISSING).all():
        return None
    n = len(kinds)
    if (kinds == _OTHER).any():
        first = int(np.argmax(kinds == _OTHER))
        what = (f"{int((kinds == _OTHER).sum())} of the {n} items' labels are not integer classes (item {first}'s is "
                f"{other}: one-hot, a string or a regression target?)")
        example = ", e.g. y.argmax(1) of one-hot labels"
    else:
        what = (f"{int((kinds == _MISSING).sum())} of the {n} items carry no label while the others carry integer "
                "classes")
        example = ""
    warnings.warn(f"{what}; the Assistant treats all instances as one class. Pass labels=... (one int per instance"
                  f"{example}) to use the classes.", UserWarning, stacklevel=3)
    return None


def _integer_column(values: Any, n: int) -> np.ndarray | None:
    """``values`` as n int64 labels if they are integers (or booleans) of shape (n,) or (n, 1), else None."""
    arr = np.asarray(values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else values)
    if arr.shape not in ((n,), (n, 1)) or not _is_class_dtype(arr.dtype):
        return None
    return arr.reshape(n).astype(np.int64)


def _pool_in_chunks(x: torch.Tensor, max_dim: int, chunk: int) -> np.ndarray:
    """Pooled rows of an in-memory tensor, written chunk by chunk into one float32 matrix."""
    first = pool_inputs(x[:1], max_dim)
    matrix = np.empty((len(x), first.shape[1]), dtype=np.float32)
    for start in range(0, len(x), chunk):
        matrix[start:start + chunk] = pool_inputs(x[start:start + chunk], max_dim)
    return matrix


def _given_matrix(features: Any, n: int) -> FeatureMatrix:
    if sp.issparse(features):
        matrix = sp.csr_matrix(features, dtype=np.float32)
        if matrix.shape[0] != n:
            raise fail("features", f"a matrix of shape (N, d) with N = len(dataset) = {n}", f"shape {matrix.shape}",
                       "Give one feature row per training instance, in dataset order.")
        if not np.all(np.isfinite(matrix.data)):
            raise fail("features", "finite everywhere", "a matrix containing NaN or inf", "Clean the features first.")
        return matrix
    arr = np.asarray(features.detach().cpu().numpy() if isinstance(features, torch.Tensor) else features)
    if arr.ndim != 2 or arr.shape[0] != n:
        raise fail("features", f"an array of shape (N, d) with N = len(dataset) = {n}", f"shape {arr.shape}",
                   "Give one feature row per training instance, in dataset order.")
    if not np.issubdtype(arr.dtype, np.number):
        raise ParameterTypeError(f"features must be numeric; got dtype {arr.dtype}. Encode the features as numbers "
                                 "(e.g. one-hot or TF-IDF), or pass a callable that maps an input to a vector.")
    if not np.all(np.isfinite(arr)):
        raise fail("features", "finite everywhere", "an array containing NaN or inf", "Clean or impute the features first.")
    return standardize(arr.astype(np.float32, copy=True))


def _warn_if_random(dataset: Any) -> None:
    first, second = split_item(dataset[0])[0], split_item(dataset[0])[0]
    try:
        same = np.array_equal(np.asarray(first), np.asarray(second))
    except (TypeError, ValueError, RuntimeError):  # not an array (a dict of tensors: its own error comes next)
        return
    if not same:
        warnings.warn("two reads of instance 0 differ (a random augmentation?): the Assistant's raw features are "
                      "one random view of each instance, frozen. Consider AutoAssist(..., assistant='loss-only'), "
                      "which needs no raw features, or pass features= computed without augmentation.",
                      RuntimeWarning, stacklevel=3)


def cheap_labels(dataset: Any) -> np.ndarray | None:
    """Integer labels found without reading items: ``.targets``, ``.labels``, a TensorDataset's second tensor, a
    Hugging Face dataset's integer ``"label"`` (or ``"labels"``) column (read without its transform), through a
    ``Subset`` (the labels of its dataset at its indices) and a ``ConcatDataset`` (concatenated)."""
    if isinstance(dataset, Subset):
        inner = cheap_labels(dataset.dataset)
        if inner is None:
            return None
        indices = np.asarray(dataset.indices, dtype=np.int64).reshape(-1)
        return inner[indices] if len(indices) else np.zeros(0, dtype=np.int64)
    if isinstance(dataset, ConcatDataset):
        parts = [cheap_labels(part) for part in dataset.datasets]
        found = [p for p in parts if p is not None]
        return np.concatenate(found).astype(np.int64) if len(found) == len(parts) else None
    for name in ("targets", "labels"):
        value = getattr(dataset, name, None)
        if value is not None:
            try:
                column = _integer_column(value, len(dataset))
            except (TypeError, ValueError):  # not array-like: not labels
                column = None
            if column is not None:
                return column
    tensors = getattr(dataset, "tensors", None)
    if isinstance(tensors, tuple) and len(tensors) >= 2 and isinstance(tensors[1], torch.Tensor):
        return _integer_column(tensors[1], len(dataset))
    columns = getattr(dataset, "column_names", None)  # a Hugging Face datasets.Dataset: a column reads at once
    if isinstance(columns, (list, tuple)):
        # the stored column, without the dataset's format or transform (set_transform would run on it)
        plain = dataset.with_format(None) if hasattr(dataset, "with_format") else dataset
        for name in ("label", "labels"):
            if name in columns:
                try:
                    column = _integer_column(plain[name], len(dataset))
                except Exception:  # token label lists, or a column that will not read: no class labels
                    column = None
                if column is not None:
                    return column
    return None


def first_item_label(dataset: Any) -> int | None:
    """Item 0's integer class label, if it has one: read with every global random generator (torch, numpy,
    ``random``) put back as it was, so that an augmenting dataset leaves the Boss's random stream alone."""
    state = (random.getstate(), np.random.get_state())
    with torch.random.fork_rng(devices=[]):
        try:
            return as_label(split_item(dataset[0])[1])
        finally:
            random.setstate(state[0])
            np.random.set_state(state[1])


def resolve_labels(labels: Any, found: np.ndarray | None, n: int) -> tuple[np.ndarray, int]:
    """Labels as compact class ids 0..C-1 (any integer values are mapped in sorted order), and C."""
    if labels is not None:
        arr = np.asarray(labels.cpu().numpy() if isinstance(labels, torch.Tensor) else labels)
        if arr.shape != (n,):
            raise fail("labels", f"of shape (N,) with N = len(dataset) = {n}", f"shape {arr.shape}",
                       "Pass one integer class per instance, in dataset order (y.argmax(1) of one-hot labels).")
        if not _is_class_dtype(arr.dtype):
            raise fail("labels", "integer class labels", f"dtype {arr.dtype}", "Pass one integer class per instance.")
    elif found is not None:
        arr = found
    else:
        return np.zeros(n, dtype=np.int64), 1  # unlabelled: a single shared bias
    classes, compact = np.unique(arr, return_inverse=True)
    return compact.astype(np.int64).reshape(n), int(len(classes))
