"""Datasets: the IndexedDataset wrapper, loaders for real data and the locally generated MNIST-1D."""

from autoassist.data.indexed import IndexedDataset

__all__ = ["IndexedDataset"]
