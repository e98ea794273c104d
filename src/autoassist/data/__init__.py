"""Datasets: the IndexedDataset wrapper, loaders for real data and the locally generated MNIST-1D."""

from autoassist.data.cifar import load_cifar10
from autoassist.data.datasets import DATASET_NAMES, Splits, load_dataset
from autoassist.data.idx import load_mnist_family, read_idx
from autoassist.data.indexed import IndexedDataset
from autoassist.data.mnist1d import make_mnist1d

__all__ = ["DATASET_NAMES", "IndexedDataset", "Splits", "load_cifar10", "load_dataset", "load_mnist_family",
           "make_mnist1d", "read_idx"]
