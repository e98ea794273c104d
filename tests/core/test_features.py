from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from autoassist._errors import ParameterError
from autoassist.features import build_features, pool_inputs, standardize


def test_small_inputs_are_only_flattened() -> None:
    x = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    assert pool_inputs(x, max_dim=1024).shape == (2, 12)


def test_images_are_pooled_under_the_limit() -> None:
    x = torch.rand(5, 3, 32, 32)
    out = pool_inputs(x, max_dim=1024)
    assert out.shape[0] == 5 and out.shape[1] <= 1024
    assert out.shape[1] == 3 * 16 * 16
    np.testing.assert_allclose(out[0, 0], x[0, 0, :2, :2].mean().item(), rtol=1e-5)


def test_grey_images_and_sequences() -> None:
    assert pool_inputs(torch.rand(4, 64, 64), max_dim=1024).shape == (4, 32 * 32)
    assert pool_inputs(torch.rand(4, 5000), max_dim=1000).shape == (4, 1000)


def test_standardize_zero_mean_unit_var_and_constant_columns() -> None:
    m = np.c_[np.arange(10.0), np.full(10, 3.0)]
    s = standardize(m)
    np.testing.assert_allclose(s[:, 0].mean(), 0, atol=1e-6)
    np.testing.assert_allclose(s[:, 0].std(), 1, atol=1e-6)
    assert np.all(s[:, 1] == 0)


def test_labels_read_from_items(planted: TensorDataset) -> None:
    f = build_features(planted)
    assert f.matrix.shape == (300, 8) and f.matrix.dtype == np.float32
    np.testing.assert_array_equal(f.labels, planted.tensors[1].numpy())
    assert f.num_classes == 3


def test_user_array_and_callable(planted: TensorDataset) -> None:
    f = build_features(planted, features=np.ones((300, 2)) * np.arange(300)[:, None])
    assert f.matrix.shape == (300, 2)
    g = build_features(planted, features=lambda x: x[:2] * 2)
    assert g.matrix.shape == (300, 2)


def test_feature_rows_must_match_dataset(planted: TensorDataset) -> None:
    with pytest.raises(ParameterError, match=r"features must be an array of shape \(N, d\) with N = len\(dataset\) = 300"):
        build_features(planted, features=np.zeros((299, 4)))


def test_non_finite_features_rejected(planted: TensorDataset) -> None:
    bad = np.zeros((300, 2))
    bad[3, 1] = np.nan
    with pytest.raises(ParameterError, match="finite"):
        build_features(planted, features=bad)


def test_empty_dataset_rejected() -> None:
    with pytest.raises(ParameterError, match="dataset must be non-empty"):
        build_features(TensorDataset(torch.zeros(0, 3), torch.zeros(0)))


@pytest.mark.parametrize("given", [False, True])
def test_reading_the_items_leaves_the_global_torch_stream_alone(given: bool) -> None:
    """Building the features (raw, or labels read from the items) draws nothing from torch's global
    generator, so the Boss's dropout after ``AutoAssist(...)`` is what it would be without it."""
    items = [(torch.full((3,), float(i)), i % 2) for i in range(40)]  # a list: read through a DataLoader
    torch.manual_seed(5)
    expected = torch.rand(4)
    torch.manual_seed(5)
    build_features(items, features=np.arange(80.0).reshape(40, 2) if given else None)  # type: ignore[arg-type]
    assert torch.equal(torch.rand(4), expected)


@pytest.mark.parametrize("assistant", ["loss-history", "paper"])
def test_translation_items_without_features_name_the_text_features_and_loss_only(assistant: str) -> None:
    """TranslationDataset's items are their indices: raw features were built from them and failed with 'x must be an
    array of shape (N, ...)' and a reshape advice."""
    from autoassist import AutoAssist
    from autoassist.data.text_batches import TranslationDataset

    pairs = TranslationDataset([[1, 2, 3]] * 20, [[4, 5]] * 20)
    with pytest.raises(TypeError, match=r"item 0 has a single number as its input .* features=text_features\(src_ids, "
                                        r"tgt_ids, vocab_size\) .* or use assistant='loss-only'"):
        AutoAssist(pairs, max_tokens=100, assistant=assistant)
