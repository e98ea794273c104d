"""Datasets: the IndexedDataset wrapper, loaders for real data, the locally generated MNIST-1D and
synthetic translation corpus, and the text pipeline (parallel files, joint BPE, padded batches)."""

from autoassist.data.cifar import load_cifar10
from autoassist.data.datasets import DATASET_NAMES, Splits, load_dataset
from autoassist.data.idx import load_mnist_family, read_idx
from autoassist.data.indexed import IndexedDataset
from autoassist.data.mnist1d import make_mnist1d
from autoassist.data.parallel import MULTI30K_SPLITS, ParallelCorpus, load_parallel
from autoassist.data.synthetic_translation import SyntheticTranslation, make_synthetic_translation
from autoassist.data.text_batches import TranslationBatch, TranslationDataset, collate_translation, instance_lengths
from autoassist.data.tokenize import SubwordTokenizer, train_joint_bpe

__all__ = ["DATASET_NAMES", "MULTI30K_SPLITS", "IndexedDataset", "ParallelCorpus", "Splits", "SubwordTokenizer",
           "SyntheticTranslation", "TranslationBatch", "TranslationDataset", "collate_translation",
           "instance_lengths", "load_cifar10", "load_dataset", "load_mnist_family", "load_parallel",
           "make_mnist1d", "make_synthetic_translation", "read_idx", "train_joint_bpe"]
