"""Datasets whose items carry their own index, so feedback can be keyed by instance."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from torch.utils.data import Dataset

from autoassist._errors import ParameterTypeError

T = TypeVar("T")


class IndexedDataset(Dataset, Generic[T]):
    """Wraps any map-style dataset so that item ``i`` is ``(i, dataset[i])``.

    The index travels in the batch, openly: a DataLoader over an ``IndexedDataset`` yields
    ``(idx, item)`` where ``idx`` is a LongTensor of instance indices, which is what
    ``report(idx, losses)`` needs. Nothing is patched and nothing is stored between calls.
    """

    def __init__(self, dataset: Dataset[T]) -> None:
        if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise ParameterTypeError(
                f"dataset must be a map-style dataset with __getitem__ and __len__; got {type(dataset).__name__}. "
                "Iterable-style datasets have no stable instance indices; wrap your data in a map-style Dataset."
            )
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> tuple[int, T]:
        return index, self.dataset[index]

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes not found normally: expose the wrapped dataset's (e.g. .classes). Never its
        # special names: the DataLoader calls ``__getitems__`` where it exists (``Subset``, ``random_split``), which
        # would fetch the wrapped items without their indices.
        if name == "dataset" or (name.startswith("__") and name.endswith("__")):
            raise AttributeError(name)
        return getattr(self.dataset, name)
