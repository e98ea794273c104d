"""Input checks and the CSR layout the kernels read."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.utils.multiclass import check_classification_targets

from autoassist._errors import fail


@dataclass
class Prepared:
    """Rows of X as CSR (float64 values, int64 indices), with the intercept column appended; the rows'
    norms and their inverses (0 for an empty row: the kernels multiply where they would divide)."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    xnorms: np.ndarray
    n_rows: int
    inv_xnorms: np.ndarray


def fingerprint(rows: Prepared, y: np.ndarray) -> bytes:
    """A SHA-256 digest of the rows (in order) and their labels: equal digests stand for the same rows and labels
    without keeping a copy of them (O(nnz), about 1.5 GB/s; a collision by chance is out of reach)."""
    digest = hashlib.sha256(np.int64(rows.n_rows).tobytes())
    for array in (rows.indptr, rows.indices, rows.data, np.ascontiguousarray(y, dtype=np.float64)):
        digest.update(np.int64(array.shape[0]).tobytes())
        digest.update(np.ascontiguousarray(array).data)
    return digest.digest()


def n_rows(X: Any) -> int | None:
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) >= 1:
        return int(shape[0])
    try:
        return len(X)
    except TypeError:
        return None


def check_lengths(X: Any, y: Any, name: str = "y", of: str = "X") -> None:
    """One label per row; ``name`` and ``of``: what the caller calls y and X, for the error."""
    nx, ny = n_rows(X), n_rows(y)
    if nx is not None and ny is not None and nx != ny:
        raise fail(name, f"as long as {of} has rows ({nx})", f"{ny} labels", f"Pass one label per row of {of}.")


def check_finite(X: np.ndarray | sp.csr_matrix, name: str = "X") -> None:
    """Refuse NaN and inf entries; ``name``: what the caller calls X, for the error."""
    values = np.asarray(X.data) if sp.issparse(X) else np.asarray(X)
    if values.size and not np.isfinite(values).all():
        n_nan = int(np.isnan(values).sum())
        n_inf = int(np.isinf(values).sum())
        raise fail(
            name, "finite (no NaN or inf)", f"{n_nan} NaN and {n_inf} inf entries",
            "Impute or drop those entries before fitting, e.g. with sklearn.impute.SimpleImputer.",
        )


def check_norms(rows: Prepared, name: str = "X") -> None:
    """Refuse rows whose squared norm overflows float64 (finite entries above about 1e154): every margin and step
    of such a row would be inf or NaN."""
    bad = ~np.isfinite(rows.xnorms)
    if bad.any():
        largest = float(np.abs(rows.data).max())
        raise fail(name, "scaled so that each row's squared norm is finite in float64",
                   f"{int(bad.sum())} rows whose squared norm overflows (largest |entry| {largest:.3g})",
                   "Scale the features first, e.g. with sklearn.preprocessing.StandardScaler (dense X) or "
                   "MaxAbsScaler (sparse X).")


def binary_targets(y: np.ndarray, classes: np.ndarray, fix: str, name: str = "y") -> np.ndarray:
    """Map ``classes[1]`` to +1 and ``classes[0]`` to -1; ``fix`` ends the error for a label outside ``classes``
    (what the caller should do differs: partial_fit's first call can take more classes, objective cannot);
    ``name``: what the caller calls y, for the error."""
    unknown = ~np.isin(y, classes)
    if unknown.any():
        raise fail(name, f"made of the classes {classes.tolist()}", f"label {_plain(y[unknown][0])!r}", fix)
    return np.where(y == classes[1], 1.0, -1.0)


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds, so that messages print ``-1``, not ``np.int64(-1)``."""
    return value.item() if isinstance(value, np.generic) else value


def two_classes(y: np.ndarray, name: str = "y") -> np.ndarray:
    """The two classes of ``y`` (``name``: what the caller calls it, for the error), sorted."""
    check_classification_targets(y)  # 'Unknown label type' for continuous targets
    classes = np.unique(y)
    if classes.shape[0] != 2:
        word = "class" if classes.shape[0] == 1 else "classes"
        raise fail(
            name, "made of exactly two classes", f"{classes.shape[0]} {word}: {[_plain(c) for c in classes[:10]]}",
            "Only binary classification is supported; for more classes wrap it in sklearn.multiclass.OneVsRestClassifier.",
        )
    return classes


def prepare(X: Any, intercept: float | None) -> Prepared:
    """CSR rows with an optional constant column ``intercept`` (regularised, as in LIBLINEAR).

    The caller's X is never changed: a CSR X of float64 shares its arrays with ``A`` here, so rows with
    unsorted or duplicate indices are put in canonical order on a copy (``sum_duplicates`` sorts in place,
    and cannot at all on read-only arrays).
    """
    A = sp.csr_matrix(X, dtype=np.float64)
    if intercept is not None:
        column = sp.csr_matrix(np.full((A.shape[0], 1), intercept))
        A = sp.hstack([A, column], format="csr")  # new arrays
    elif not A.has_canonical_format:
        A = A.copy()
    A.sum_duplicates()
    data = np.ascontiguousarray(A.data, dtype=np.float64)
    indices = np.ascontiguousarray(A.indices, dtype=np.int64)
    indptr = np.ascontiguousarray(A.indptr, dtype=np.int64)
    xnorms = np.sqrt(np.asarray(A.multiply(A).sum(axis=1), dtype=np.float64).ravel())
    inv_xnorms = np.divide(1.0, xnorms, out=np.zeros_like(xnorms), where=xnorms > 0.0)
    return Prepared(data, indices, indptr, xnorms, int(A.shape[0]), inv_xnorms)
