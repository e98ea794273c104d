"""Where the Assistant's class labels come from, and that losing them is said, never silent."""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import ConcatDataset, Dataset, Subset, TensorDataset, random_split

from autoassist import AutoAssist
from autoassist._errors import ParameterError, ParameterTypeError
from autoassist.assistants.linear import LinearAssistant
from autoassist.assistants.loss_history import LossHistoryAssistant
from autoassist.features import InstanceFeatures, build_features, cheap_labels, pool_inputs
from autoassist.selectors.autoassist import AutoAssistSelector


class _Items(Dataset):
    """A plain custom dataset: item ``i`` is ``(x_i, labels[i])``; it counts its reads."""

    def __init__(self, labels: list[Any], d: int = 4) -> None:
        self.x = torch.arange(len(labels) * d, dtype=torch.float32).reshape(len(labels), d)
        self.y = labels
        self.reads = 0

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, Any]:
        self.reads += 1
        return self.x[i], self.y[i]


def _classes(assist: AutoAssist) -> InstanceFeatures:
    return assist.assistant.features  # type: ignore[union-attr]


def _loss_only(dataset: Any, **options: Any) -> InstanceFeatures:
    return _classes(AutoAssist(dataset, batch_size=2, assistant="loss-only", asynchronous=False, **options))


# 1. the loss-only Assistant reads no item for its labels: it finds them through Subset and ConcatDataset, and says
#    when it finds none though item 0 has one

def test_loss_only_finds_the_labels_of_a_random_split_subset_without_reading_items() -> None:
    base = TensorDataset(torch.randn(300, 2), torch.arange(300) % 4)
    sub, _ = random_split(base, [200, 100], generator=torch.Generator().manual_seed(0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = _loss_only(sub)
    assert f.num_classes == 4
    np.testing.assert_array_equal(f.labels, (np.asarray(sub.indices) % 4))


def test_loss_only_finds_labels_through_nested_subsets_and_concat_datasets() -> None:
    class Targets(_Items):
        @property
        def targets(self) -> list[int]:
            return list(self.y)

    first = Targets([i % 3 for i in range(30)])
    second = TensorDataset(torch.zeros(20, 4), torch.arange(20) % 5 + 10)
    both = Subset(ConcatDataset([Subset(first, range(10, 30)), second]), [0, 25, 39, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = _loss_only(both)
    assert first.reads == 0
    expected = np.array([int(both[i][1]) for i in range(len(both))])  # what reading the items gives: 1, 10, 14, 2
    np.testing.assert_array_equal(cheap_labels(both), expected)
    assert f.num_classes == 4
    np.testing.assert_array_equal(f.labels, np.unique(expected, return_inverse=True)[1])


def test_loss_only_says_once_that_it_found_no_labels_and_reads_only_the_first_item() -> None:
    data = _Items([i % 10 for i in range(100)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = _loss_only(data)
    said = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert len(said) == 1 and "found integer labels in the items but no way" in said[0] and "labels=" in said[0]
    assert f.num_classes == 1 and data.reads == 1  # item 0: does it hold a class label?
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # given labels: nothing to say
        assert _loss_only(data, labels=data.y).num_classes == 10
    assert data.reads == 1


def test_loss_only_on_a_subset_of_an_unlabelled_custom_dataset_warns() -> None:
    with pytest.warns(UserWarning, match=r"assistant='loss-only' found integer labels.*Pass labels="):
        _loss_only(Subset(_Items([i % 10 for i in range(100)]), range(50)))


def test_loss_only_says_nothing_for_items_without_class_labels() -> None:
    """Sentence pairs (TranslationDataset's items are their indices) and language-model dicts (token labels) have
    no classes: one class is what they are, and a warning for them was noise."""
    from autoassist.data.text_batches import TranslationDataset

    pairs = TranslationDataset([[1, 2]] * 10, [[3]] * 10)
    lm = [{"input_ids": torch.arange(5), "labels": torch.arange(5)} for _ in range(10)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _loss_only(pairs).num_classes == 1
        assert _loss_only(lm).num_classes == 1


# 2. the feature-based Assistants: item labels that are not integers are said to be dropped

@pytest.mark.parametrize("label", [lambda i: F.one_hot(torch.tensor(i % 3), 3), lambda i: "cat" if i % 2 else "dog",
                                   lambda i: float(i % 3)])
def test_item_labels_that_are_not_integers_are_said_to_be_dropped(label: Any) -> None:
    data = _Items([label(i) for i in range(40)])
    with pytest.warns(UserWarning, match=r"40 of the 40 items' labels are not integer classes \(item 0's is .*"
                                         r"one class\. Pass labels="):
        f = build_features(data)
    assert f.num_classes == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert build_features(data, labels=[i % 3 for i in range(40)]).num_classes == 3


def test_one_hot_labels_of_a_tensor_dataset_are_said_to_be_dropped() -> None:
    data = TensorDataset(torch.randn(40, 4), F.one_hot(torch.arange(40) % 3, 3))
    with pytest.warns(UserWarning, match="not integer classes.*y.argmax"):
        assert _classes(AutoAssist(data, batch_size=10, asynchronous=False)).num_classes == 1


def test_a_few_items_without_a_label_are_said_to_drop_the_others() -> None:
    data = _Items([None if i == 7 else i % 3 for i in range(40)])
    with pytest.warns(UserWarning, match="1 of the 40 items carry no label"):
        assert build_features(data).num_classes == 1


@pytest.mark.parametrize("label", [lambda i: torch.tensor([i % 3]), lambda i: np.array([i % 3]), lambda i: i % 3 - 1])
def test_one_element_integer_labels_and_negative_classes_count(label: Any) -> None:
    """A label of -1 is a class like any other (it used to drop every label)."""
    data = _Items([label(i) for i in range(30)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = build_features(data)
    assert f.num_classes == 3
    np.testing.assert_array_equal(f.labels, np.arange(30) % 3)


def test_unlabelled_items_are_one_class_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert build_features(TensorDataset(torch.randn(40, 4))).num_classes == 1
        assert build_features([torch.full((3,), float(i)) for i in range(20)]).num_classes == 1  # type: ignore[arg-type]


# 3. report refuses a boolean mask as it refuses other non-indices

@pytest.mark.parametrize("mask", [lambda: torch.ones(10, dtype=torch.bool), lambda: np.ones(10, dtype=bool),
                                  lambda: [True] * 10])
def test_report_refuses_a_boolean_mask(mask: Any) -> None:
    assist = AutoAssist(TensorDataset(torch.randn(100, 4), torch.arange(100) % 2), batch_size=10,
                        asynchronous=False)
    next(iter(assist.loader()))
    before = assist.stats()
    with pytest.raises(ParameterTypeError, match="got a boolean mask. Report the idx"):
        assist.report(mask(), torch.rand(10))
    assert assist.stats() == before


# 4. every option error says how to fix it

_FIX = r"; got .*?\. [A-Z'0-9]"  # the rule, the value, then a sentence: the fix


@pytest.mark.parametrize("option", [
    dict(lr=-1.0), dict(lr=float("nan")), dict(l2=-1.0), dict(threshold="x"), dict(base_prob=float("nan")),
    dict(base_prob=2.0), dict(warmup_instances=-1), dict(anneal_fraction=2.0), dict(anneal_fraction=float("inf")),
    dict(switch_fraction=-0.5), dict(total_steps=0), dict(prefer="x"), dict(assistant="x"), dict(max_feature_dim=0),
    dict(feature_workers=-1), dict(labels=[0, 1])])
def test_autoassist_option_errors_name_a_fix(option: dict[str, Any]) -> None:
    with pytest.raises(ParameterError, match=re.escape(next(iter(option))) + " must be .*" + _FIX):
        AutoAssist(TensorDataset(torch.randn(40, 4), torch.arange(40) % 2), batch_size=8, **option)


def test_assistant_and_feature_errors_name_a_fix() -> None:
    f = InstanceFeatures.labels_only(np.zeros(10, dtype=np.int64), 1)
    data = TensorDataset(torch.randn(40, 4))
    for make, name in [(lambda: LinearAssistant(f, mean_decay=1.0), "mean_decay"),
                       (lambda: LinearAssistant(f, stat_decay=2.0), "stat_decay"),
                       (lambda: LossHistoryAssistant(f, history_lr=-1.0), "history_lr"),
                       (lambda: LossHistoryAssistant(f, history_lr=float("nan")), "history_lr"),
                       (lambda: build_features(data, max_dim=0), "max_feature_dim"),
                       (lambda: build_features(data, num_workers=-1), "num_workers"),
                       (lambda: build_features(data, chunk_size=0), "chunk_size"),
                       (lambda: pool_inputs(np.zeros((2, 3)), max_dim=0), "max_dim"),
                       (lambda: AutoAssistSelector(LinearAssistant(f), base_prob=-0.5), "base_prob")]:
        with pytest.raises(ParameterError, match=name + " must be .*" + _FIX):
            make()


# 5. max_feature_dim is a cap of about that many values, but every channel keeps one

@pytest.mark.parametrize(("shape", "channels"), [((3, 8, 8), 3), ((64, 64), 1), ((5, 100), 5), ((4, 3, 5, 7), 60),
                                               ((1000, 5), 1000), ((300,), 1)])
@pytest.mark.parametrize("max_dim", [1, 10, 100])
def test_pooled_features_stay_within_the_cap_or_one_per_channel(shape: tuple[int, ...], channels: int,
                                                                max_dim: int) -> None:
    d = pool_inputs(torch.randn(2, *shape), max_dim).shape[1]
    assert 1 <= d <= max(max_dim, channels)


def test_max_feature_dim_1_keeps_one_value_per_channel() -> None:
    data = TensorDataset(torch.randn(20, 3, 8, 8), torch.arange(20) % 2)
    assert _classes(AutoAssist(data, batch_size=4, max_feature_dim=1, asynchronous=False)).dim == 3


class _Columns:
    """What AutoAssist sees of a Hugging Face ``datasets.Dataset``: rows by position, whole columns by name."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.column_names = list(rows[0])
        self.reads = 0

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return [row[key] for row in self.rows]
        self.reads += 1
        return self.rows[key]


def test_loss_only_reads_a_hugging_face_label_column_at_once() -> None:
    classified = _Columns([{"input_ids": [1, 2], "label": i % 4} for i in range(12)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _loss_only(classified).num_classes == 4
    lm = _Columns([{"input_ids": [1, 2, 3], "labels": [1, 2, 3]} for _ in range(12)])  # token labels: no classes
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _loss_only(lm).num_classes == 1


class _Augmenting(_Items):
    """Draws from every global generator when an item is read, as random augmentation does."""

    def __getitem__(self, i: int) -> Any:
        import random

        torch.rand(1), np.random.rand(), random.random()
        return super().__getitem__(i)


def test_loss_only_leaves_the_global_random_streams_alone_though_it_reads_item_0() -> None:
    import random

    data = _Augmenting([i % 3 for i in range(30)])
    torch.manual_seed(5), np.random.seed(5), random.seed(5)
    with pytest.warns(UserWarning, match="found integer labels in the items"):
        _loss_only(data)
    assert data.reads == 1
    after = (torch.rand(1).item(), np.random.rand(), random.random())
    torch.manual_seed(5), np.random.seed(5), random.seed(5)
    assert after == (torch.rand(1).item(), np.random.rand(), random.random())


class _Transformed(_Columns):
    """A Hugging Face dataset with set_transform: its format runs the transform on what is read, a lone column
    too; with_format(None) reads the stored column."""

    def __init__(self, rows: list[dict[str, Any]], formatted: bool = True) -> None:
        super().__init__(rows)
        self.formatted = formatted

    def with_format(self, kind: Any) -> "_Transformed":
        return _Transformed(self.rows, formatted=kind is not None)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str) and self.formatted:
            raise KeyError("image")  # the tutorial's transform reads batch["image"]
        return super().__getitem__(key)


def test_a_hugging_face_label_column_is_read_without_the_datasets_transform() -> None:
    data = _Transformed([{"image": [0.0], "label": i % 3} for i in range(9)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _loss_only(data).num_classes == 3


def test_boolean_labels_are_two_classes_however_they_arrive() -> None:
    """A bool column or tensor gave two classes, a Python bool per item one class and a warning, labels= an error."""
    flags = [i % 2 == 0 for i in range(20)]
    column = TensorDataset(torch.zeros(20, 4), torch.tensor(flags))
    assert _loss_only(column).num_classes == 2
    assert _loss_only(column, labels=np.array(flags)).num_classes == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert build_features(_Items(flags)).num_classes == 2
