"""Each defect found by trying the first version as a new user would, with the test that pins its fix."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset, IterableDataset, TensorDataset

from autoassist import AutoAssist
from autoassist._errors import ParameterError, ParameterTypeError
from autoassist.assistants.linear import LinearAssistant
from autoassist.features import InstanceFeatures, build_features


def _data(n: int = 256, d: int = 10, seed: int = 0) -> TensorDataset:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    return TensorDataset(x, (x[:, 0] + 0.3 * x[:, 1] > 0).long())


def _finishes(fn: Callable[[], Any], seconds: float = 20.0) -> Any:
    """Run ``fn`` on a thread; fail (instead of hanging the suite) if it does not finish in time."""
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            out["value"] = fn()
        except BaseException as error:  # noqa: BLE001 - re-raised on the test's thread
            out["error"] = error

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "the loop hung"
    if "error" in out:
        raise out["error"]
    return out.get("value")


def _train(assist: AutoAssist, epochs: int, *, model_seed: int = 0, stop_after: int | None = None,
           model: torch.nn.Module | None = None) -> tuple[list[list[int]], torch.nn.Module]:
    torch.manual_seed(model_seed)
    model = model or torch.nn.Linear(10, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    seen: list[list[int]] = []
    for _ in range(epochs):
        for idx, (x, y) in assist.loader():
            loss = assist.report(idx, F.cross_entropy(model(x), y, reduction="none"))
            opt.zero_grad()
            loss.backward()
            opt.step()
            seen.append(idx.tolist())
            if stop_after is not None and len(seen) == stop_after:
                return seen, model
    return seen, model


# ---------------------------------------------------------------------------------------------- hang
def test_two_interleaved_iterators_never_hang_the_newer_one_works() -> None:
    assist = AutoAssist(_data(), batch_size=32, seed=0)

    def run() -> None:
        first = iter(assist.loader())
        next(first)
        second = iter(assist.loader())
        next(second)
        with pytest.raises(RuntimeError, match="superseded"):
            next(first)
        assert len([b for b in second]) >= 1

    _finishes(run)


def test_an_old_iterator_collected_mid_epoch_does_not_stop_the_new_loop() -> None:
    assist = AutoAssist(_data(), batch_size=32, seed=0)

    def run() -> int:
        old = iter(assist.loader())
        next(old)
        steps = 0
        for idx, (x, y) in assist.loader():
            if steps == 1:
                del old  # garbage-collected while the new loop runs
            assist.report(idx, torch.rand(len(idx)))
            steps += 1
        return steps

    # the new loop finishes the epoch the old one started; the old one's batch was never reported, so it is
    # yielded again (a step counts as trained once it is reported)
    assert _finishes(run) == 8


class _InterruptOnce(Dataset):
    def __init__(self, base: Dataset, at: int) -> None:
        self.base, self.at, self.calls = base, at, 0

    def __len__(self) -> int:
        return len(self.base)  # type: ignore[arg-type]

    def __getitem__(self, i: int) -> Any:
        self.calls += 1
        if self.calls == self.at:
            raise KeyboardInterrupt  # Ctrl-C inside the DataLoader's fetch
        return self.base[i]


def test_ctrl_c_inside_the_fetch_then_rerunning_the_loop_does_not_hang() -> None:
    data = _InterruptOnce(_data(), at=32 * 3 + 5)
    assist = AutoAssist(data, batch_size=32, seed=0, assistant="loss-only")
    cell_iterators = []

    def cell() -> int:
        steps = 0
        it = iter(assist.loader())
        cell_iterators.append(it)  # the notebook keeps the interrupted frame alive
        for idx, (x, y) in it:
            assist.report(idx, torch.rand(len(idx)))
            steps += 1
        return steps

    with pytest.raises(KeyboardInterrupt):
        cell()
    total = _finishes(cell) + 3
    assert total == 8  # the rerun finishes the epoch: no step lost, none doubled
    assert assist.stats()["steps_unreported"] == 0


# ---------------------------------------------------------------------------------------------- resume
@pytest.mark.parametrize("asynchronous", [False, True])
def test_resume_mid_epoch_takes_exactly_the_remaining_steps_and_equals_the_uninterrupted_run(
        tmp_path: Path, asynchronous: bool) -> None:
    full, _ = _train(AutoAssist(_data(), batch_size=16, seed=3, asynchronous=asynchronous), epochs=2)
    assert len(full) == 32
    first = AutoAssist(_data(), batch_size=16, seed=3, asynchronous=asynchronous)
    head, model = _train(first, epochs=2, stop_after=10)
    torch.save({"assist": first.state_dict(), "model": model.state_dict()}, tmp_path / "ckpt.pt")
    first.close()
    saved = torch.load(tmp_path / "ckpt.pt")  # PyTorch's default weights_only=True must accept it
    resumed = AutoAssist(_data(), batch_size=16, seed=3, asynchronous=asynchronous)
    resumed.load_state_dict(saved["assist"])
    model2 = torch.nn.Linear(10, 2)
    model2.load_state_dict(saved["model"])
    opt_free_tail: list[list[int]] = []
    # the resumed loop: the rest of epoch 0 (6 steps), then epoch 1 (16 steps)
    tail, _ = _train(resumed, epochs=2, model=model2)
    opt_free_tail.extend(tail)
    assert len(head) + len(opt_free_tail) == 32
    # plain SGD has no optimiser state: model and batches continue exactly as the uninterrupted run
    assert head + opt_free_tail == full


def test_resume_with_a_loader_that_fetches_ahead_replays_the_unreported_batches(tmp_path: Path) -> None:
    def run(stop: int | None) -> tuple[list[list[int]], AutoAssist]:
        assist = AutoAssist(_data(), batch_size=16, seed=1, asynchronous=True)
        torch.manual_seed(0)
        model = torch.nn.Linear(10, 2)
        seen: list[list[int]] = []
        for idx, (x, y) in assist.loader(num_workers=2):
            assist.report(idx, F.cross_entropy(model(x), y, reduction="none").detach())
            seen.append(idx.tolist())
            if stop is not None and len(seen) == stop:
                break
        return seen, assist

    full, _ = run(None)
    head, assist = run(5)
    state = assist.state_dict()
    assert state["steps_in_epoch"] == 5 and len(state["ready"]) >= 4  # fetched ahead: saved to replay
    again = AutoAssist(_data(), batch_size=16, seed=1, asynchronous=True)
    again.load_state_dict(state)
    tail = [idx.tolist() for idx, _ in again.loader()]
    assert head + tail == full


def test_asynchronous_runs_are_reproducible_and_equal_inline_runs() -> None:
    runs = [_train(AutoAssist(_data(), batch_size=16, seed=7, asynchronous=a), epochs=3)[0]
            for a in (True, True, False)]
    assert runs[0] == runs[1] == runs[2]


def test_state_is_tensors_and_numbers_only() -> None:
    assist = AutoAssist(_data(), batch_size=16, seed=0)
    _train(assist, epochs=1, stop_after=3)

    def check(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                check(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                check(v)
        else:
            assert value is None or isinstance(value, (torch.Tensor, int, float, bool, str)), type(value)

    check(assist.state_dict())


# ---------------------------------------------------------------------------------------------- exit
def test_exiting_while_the_worker_is_busy_exits_cleanly(tmp_path: Path) -> None:
    script = tmp_path / "exit_busy.py"
    script.write_text(textwrap.dedent("""
        import time, numpy as np, torch
        from autoassist import BatchGenerator
        from autoassist.selectors.base import Selector

        class Busy(Selector):
            def observe(self, indices, losses):
                a = np.random.default_rng(0).random((300, 300))
                for _ in range(200):
                    a = a @ a.T / 300.0  # keep the worker inside numpy

        gen = BatchGenerator(Busy(), 1000, 10, lag=1)
        it = iter(gen)
        for _ in range(3):
            gen.report(next(it), torch.rand(10))
        time.sleep(0.01)
        # no close(): the interpreter exits while the worker computes
    """))
    for _ in range(2):
        done = subprocess.run([sys.executable, str(script)], capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()[-2000:]


# ---------------------------------------------------------------------------------------------- datasets
class _DictItems(Dataset):
    def __init__(self, n: int = 64) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"input_ids": torch.arange(i % 5 + 1), "label": i % 3}


class _Stream(IterableDataset):
    def __iter__(self) -> Any:
        return iter(range(10))


def test_dict_items_get_a_clear_error_and_work_with_the_loss_only_assistant() -> None:
    with pytest.raises(ParameterTypeError, match="dicts.*assistant='loss-only'"):
        AutoAssist(_DictItems(), batch_size=8)
    assist = AutoAssist(_DictItems(), batch_size=8, assistant="loss-only", labels=[i % 3 for i in range(64)])

    def pad(items: list[dict[str, Any]]) -> dict[str, Any]:  # an existing collate function, unchanged
        ids = torch.nn.utils.rnn.pad_sequence([it["input_ids"] for it in items], batch_first=True)
        return {"input_ids": ids, "labels": torch.tensor([it["label"] for it in items])}

    for idx, batch in assist.loader(collate_fn=pad):
        assert idx.shape == (8,) and batch["input_ids"].shape[0] == 8 and batch["labels"].shape == (8,)
        assist.report(idx, torch.rand(8))
    assert assist.stats()["steps"] == 8


def test_variable_length_items_get_a_clear_error() -> None:
    data = [(torch.zeros(i % 4 + 1), 0) for i in range(40)]
    with pytest.raises(ParameterError, match="one shape.*features="):
        AutoAssist(data, batch_size=8)  # type: ignore[arg-type]


def test_iterable_dataset_gets_a_clear_error() -> None:
    with pytest.raises(ParameterTypeError, match="map-style"):
        AutoAssist(_Stream(), batch_size=2)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------- input
def test_silently_wrong_settings_are_errors() -> None:
    with pytest.raises(ParameterError, match="batch_size must be at most"):
        AutoAssist(_data(100), batch_size=128)
    with pytest.raises(ParameterError, match="seed must be >= 0"):
        AutoAssist(_data(), seed=-1)


def test_bad_losses_are_refused_before_anything_is_recorded() -> None:
    assist = AutoAssist(_data(), batch_size=4, seed=0)
    idx, _ = next(iter(assist.loader()))
    before = assist.stats()
    with pytest.raises(ParameterTypeError, match="tensor of per-instance losses"):
        assist.report(idx, [0.1, 0.2, 0.3, 0.4])  # type: ignore[arg-type]
    with pytest.raises(ParameterTypeError, match="floating-point"):
        assist.report(idx, torch.tensor([1, 2, 3, 4]))
    with pytest.raises(ParameterError, match="match none"):
        assist.report(torch.tensor([0, 1, 2, 3]) if idx.tolist() != [0, 1, 2, 3] else torch.tensor([4, 5, 6, 7]),
                      torch.rand(4))
    assert assist.stats() == before


def test_huge_label_values_are_compacted() -> None:
    x = torch.randn(50, 3)
    labels = np.where(np.arange(50) % 2 == 0, 10**9, 7)
    f = build_features(TensorDataset(x), labels=labels)
    assert f.num_classes == 2 and set(f.labels.tolist()) == {0, 1}


def test_duplicate_and_missing_reports_are_counted_with_one_warning() -> None:
    assist = AutoAssist(_data(), batch_size=8, seed=0, asynchronous=False)
    it = iter(assist.loader())
    idx, _ = next(it)
    assist.report(idx, torch.rand(8))
    with pytest.warns(RuntimeWarning, match="reported twice"):
        assist.report(idx, torch.rand(8))
    next(it)  # never reported
    idx3, _ = next(it)
    with pytest.warns(RuntimeWarning, match="not called for a batch"):
        assist.report(idx3, torch.rand(8))
    s = assist.stats()
    assert s["duplicate_reports"] == 1 and s["steps_unreported"] == 1 and s["feedback_batches"] == 2


def test_never_reporting_is_said_once() -> None:
    assist = AutoAssist(_data(), batch_size=8, seed=0)
    with pytest.warns(RuntimeWarning, match="never called"):  # as the loop gets the epoch's last batch
        for _ in assist.loader():
            pass
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(assist.loader())
    assert assist.stats()["feedback_batches"] == 0
    assist2 = AutoAssist(_data(), batch_size=8, seed=0)
    list(iter(assist2.batches))  # a loader of the user's own, which does not say what it hands the loop
    with pytest.warns(RuntimeWarning, match="never called"):
        next(iter(assist2.batches))  # the next epoch says it


def test_a_short_epoch_fetched_whole_before_the_first_report_is_not_said_to_go_unreported() -> None:
    """A DataLoader's workers can fetch a short epoch whole before the loop trains on its first batch."""
    for loader in ({"num_workers": 2, "prefetch_factor": 8}, None):
        assist = AutoAssist(_data(64), batch_size=8, seed=0)  # 8 steps an epoch
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for _ in range(2):
                if loader is None:  # a loader of the user's own: the generator runs to the epoch's end first
                    batches = [(torch.tensor(i), None) for i in list(assist.batches)]
                else:
                    batches = assist.loader(**loader)
                for step, (idx, _) in enumerate(batches):
                    if step == 0:
                        assist.stats()  # read before the first report
                    assist.report(idx, torch.rand(len(idx)))
            assist.close()
        assert assist.stats()["feedback_batches"] == 16


# ---------------------------------------------------------------------------------------------- construction
class _Counting(Dataset):
    def __init__(self, base: Dataset) -> None:
        self.base, self.reads = base, 0

    def __len__(self) -> int:
        return len(self.base)  # type: ignore[arg-type]

    def __getitem__(self, i: int) -> Any:
        self.reads += 1
        return self.base[i]


def test_loss_only_assistant_reads_nothing_at_construction() -> None:
    data = _Counting(_data())
    assist = AutoAssist(data, batch_size=8, assistant="loss-only", labels=torch.zeros(256, dtype=torch.long))
    assert data.reads == 0 and assist.assistant is not None
    assert AutoAssist(_data(), assistant="loss-only").assistant.features.num_classes == 2  # type: ignore[union-attr]


def test_features_are_float32_and_equal_with_loader_workers() -> None:
    data = _data(300)
    a = build_features(data, chunk_size=64)
    b = build_features(data, chunk_size=64, num_workers=2)
    assert a.matrix.dtype == np.float32 and np.array_equal(a.matrix, b.matrix)


class _Augmented(Dataset):
    def __len__(self) -> int:
        return 32

    def __getitem__(self, i: int) -> Any:
        return torch.randn(4), 0


def test_random_augmentation_is_said() -> None:
    with pytest.warns(RuntimeWarning, match="augmentation"):
        build_features(_Augmented())


def test_sparse_features_score_like_the_dense_reference() -> None:
    rng = np.random.default_rng(0)
    dense = (rng.random((60, 40)) < 0.1) * rng.random((60, 40))
    labels = rng.integers(0, 3, 60)
    sparse_a = LinearAssistant(InstanceFeatures(sp.csr_matrix(dense, dtype=np.float32), labels, 3))
    dense_a = LinearAssistant(InstanceFeatures(dense.astype(np.float32), labels, 3))
    for a in (sparse_a, dense_a):
        for _ in range(5):
            idx = rng.integers(0, 60, 16)
            a.learn(idx, rng.random(16))
        rng = np.random.default_rng(0)
        rng.random((60, 40)); rng.random((60, 40)); rng.integers(0, 3, 60)  # same draws for both
    np.testing.assert_allclose(sparse_a.score(np.arange(60)), dense_a.score(np.arange(60)), rtol=1e-5)
    assist = AutoAssist(_data(60), batch_size=8, features=sp.csr_matrix(dense))
    assert assist.assistant is not None


# ---------------------------------------------------------------------------------------------- second probe
def test_a_random_split_subset_yields_its_indices() -> None:
    # Subset defines __getitems__; the DataLoader must not reach it through IndexedDataset (items without idx)
    train, _ = torch.utils.data.random_split(_data(), [200, 56], generator=torch.Generator().manual_seed(0))
    assist = AutoAssist(train, batch_size=8, assistant="loss-only")
    idx, (x, y) = next(iter(assist.loader()))
    assert idx.dtype == torch.int64 and idx.shape == (8,) and x.shape == (8, 10) and y.shape == (8,)
    assist.close()


@pytest.mark.parametrize("num_workers", [0, 2])
def test_a_checkpoint_before_the_first_report_loses_no_batch(num_workers: int) -> None:
    def run(assist: AutoAssist, save_at: int | None = None) -> tuple[list[list[int]], dict[str, Any] | None]:
        torch.manual_seed(0)
        model = torch.nn.Linear(10, 2)
        seen: list[list[int]] = []
        for idx, (x, y) in assist.loader(num_workers=num_workers):
            if len(seen) == save_at:
                return seen, assist.state_dict()  # saved at the top of the step, then the process stops
            assist.report(idx, F.cross_entropy(model(x), y, reduction="none").detach())
            seen.append(idx.tolist())
        return seen, None

    full, _ = run(AutoAssist(_data(), batch_size=16, seed=0))
    head, state = run(AutoAssist(_data(), batch_size=16, seed=0), save_at=0)
    resumed = AutoAssist(_data(), batch_size=16, seed=0)
    resumed.load_state_dict(state)  # type: ignore[arg-type]
    assert head + run(resumed)[0] == full


def test_a_loop_that_never_reports_keeps_a_bounded_ledger() -> None:
    from autoassist.selectors import UniformSelector

    from autoassist.feedback import MAX_OUTSTANDING

    assist = AutoAssist(_data(), batch_size=2, selector=UniformSelector())
    for _ in range(10):
        assert len([idx for idx, _ in assist.loader()]) == 128  # every epoch whole: nothing replayed
    assert len(assist.batches.ledger.outstanding) == MAX_OUTSTANDING
    assert assist.stats()["steps_unreported"] == 10 * 128 - MAX_OUTSTANDING


def test_a_deep_prefetch_loses_no_feedback() -> None:
    # a cap of 64 outstanding batches made a batch final before the loop received it when a DataLoader
    # fetched 64 ahead (16 workers x 4): its report was then ignored as a duplicate
    assist = AutoAssist(_data(), batch_size=2, seed=0)
    it = iter(assist.loader())
    held = [next(it)[0] for _ in range(100)]  # fetched ahead of the loop
    for idx in held:
        assist.report(idx, torch.rand(len(idx)))
    s = assist.stats()
    assert s["feedback_batches"] == 100 and s["duplicate_reports"] == 0 and s["steps_unreported"] == 0


def test_a_state_of_another_kind_is_refused_and_changes_nothing() -> None:
    from autoassist.selectors import UniformSelector

    trained = AutoAssist(_data(), batch_size=16, seed=0)
    _train(trained, epochs=1)
    state = trained.state_dict()
    for other in (dict(assistant="paper"), dict(selector=UniformSelector())):
        target = AutoAssist(_data(), batch_size=16, seed=0, **other)  # type: ignore[arg-type]
        with pytest.raises(ParameterError, match="state must be saved from the same kind of selector"):
            target.load_state_dict(state)
    target = AutoAssist(_data(), batch_size=16, seed=0, assistant="loss-only")  # same class, other features
    before = target.stats()
    with pytest.raises(ParameterError, match="state must be a state of this selector"):
        target.load_state_dict(state)
    assert target.stats() == before
    with pytest.raises(ParameterError, match="what AutoAssist.state_dict"):
        target.load_state_dict({"model": {}})


def test_bad_tokens_are_refused_before_the_report_is_recorded() -> None:
    assist = AutoAssist(_data(), batch_size=8, seed=0)
    idx, _ = next(iter(assist.loader()))
    losses = torch.rand(8, requires_grad=True)
    for tokens in (torch.ones(3), -torch.ones(8), torch.full((8,), float("nan"))):
        with pytest.raises(ParameterError, match="tokens must be"):
            assist.report(idx, losses, tokens=tokens)
    assert assist.stats()["feedback_batches"] == 0
    counts = torch.arange(1, 9)
    loss = assist.report(idx, losses, tokens=counts)
    assert torch.allclose(loss, (losses * counts).sum() / counts.sum())
    idx2, _ = next(iter(assist.loader()))
    zero = assist.report(idx2, losses, tokens=torch.zeros(8))  # every token masked out: nothing to learn, not nan
    assert zero.item() == 0.0 and zero.requires_grad
    with pytest.raises(ParameterTypeError, match="tensor of per-instance losses"):
        assist.report(idx, losses.detach().numpy())


def test_classification_losses_of_shape_b_c_get_the_per_instance_message() -> None:
    assist = AutoAssist(_data(), batch_size=8, seed=0)
    idx, (x, _) = next(iter(assist.loader()))
    with pytest.raises(ParameterError, match='vector of per-instance losses.*reduction="none"'):
        assist.report(idx, F.log_softmax(torch.randn(8, 3), 1))


@pytest.mark.parametrize("option", [dict(base_prob=-0.1), dict(base_prob=float("nan")), dict(lr=0.0), dict(l2=-1.0),
                                    dict(prefer="x"), dict(threshold="x"), dict(switch_fraction=2.0),
                                    dict(anneal_fraction=0.5), dict(labels=[0, 1]), dict(feature_workers=-1)])
def test_options_are_checked_before_any_item_is_read(option: dict[str, Any]) -> None:
    data = _Counting(_data())
    with pytest.raises((ParameterError, ParameterTypeError), match=next(iter(option))):
        AutoAssist(data, batch_size=8, **option)
    assert data.reads == 0


@pytest.mark.parametrize("option", [dict(accept_first_pass="False"), dict(asynchronous="False"),
                                    dict(unbiased="False"), dict(adaptive_base="x"), dict(progress="x"),
                                    dict(base_prob="0.5")])
def test_flags_and_numbers_given_as_strings_are_refused(option: dict[str, Any]) -> None:
    with pytest.raises(ParameterTypeError, match=next(iter(option))):
        AutoAssist(_data(), batch_size=8, **option)


def test_dict_items_holding_tensors_get_the_dict_message() -> None:
    class Tensors(Dataset):
        def __len__(self) -> int:
            return 20

        def __getitem__(self, i: int) -> dict[str, Any]:
            return {"input_ids": torch.arange(3), "labels": i % 2}

    with pytest.raises(ParameterTypeError, match="dicts.*assistant='loss-only'"):
        AutoAssist(Tensors(), batch_size=4)


def test_the_keep_rate_counts_the_batches_yielded_so_it_is_a_function_of_the_seed() -> None:
    # it counted what the worker had assembled ahead, which depends on thread timing
    stats = []
    for asynchronous in (True, False, True):
        assist = AutoAssist(_data(), batch_size=16, seed=5, asynchronous=asynchronous)
        _train(assist, epochs=3)
        stats.append({k: assist.stats()[k] for k in ("scanned", "accepted", "keep_rate")})
    assert stats[0] == stats[1] == stats[2] and stats[0]["keep_rate"] < 1.0
    assert stats[0]["accepted"] == 3 * 256  # 16 steps of 16 per epoch: every accepted instance was yielded


def test_lengths_without_max_tokens_are_refused() -> None:
    # they were ignored without a word: batches were counted, not bounded by tokens
    with pytest.raises(ParameterError, match="lengths must be given only with max_tokens"):
        AutoAssist(_data(), batch_size=8, lengths=np.full(256, 5))


def test_options_of_autoassists_own_selector_are_refused_beside_another_selector() -> None:
    from autoassist import TRANSLATION_RULES
    from autoassist.selectors import RandomSelector

    # they were accepted and ignored: unbiased=True gave no weights, base_prob=5 no error
    with pytest.raises(ParameterError, match="selector must be given without base_prob, unbiased"):
        AutoAssist(_data(), batch_size=8, selector=RandomSelector(0.5), unbiased=True, base_prob=5.0)
    with pytest.raises(ParameterError, match="accept_first_pass, adaptive_base, threshold"):
        AutoAssist(_data(), batch_size=8, selector=RandomSelector(0.5), **TRANSLATION_RULES)


def test_selector_and_forward_filter_seeds_and_sizes_are_checked() -> None:
    from autoassist import ForwardFilter
    from autoassist.selectors import InfoBatchSelector
    from autoassist.selectors.selective_backprop import SelectiveBackpropSelector

    with pytest.raises(ParameterError, match="seed must be >= 0"):
        InfoBatchSelector(num_passes=3, seed=-1)  # it failed in the worker thread at the first batch
    for bad in (2.5, True, "4"):
        with pytest.raises(ParameterTypeError, match="batch_size must be an integer"):
            ForwardFilter(SelectiveBackpropSelector(), batch_size=bad)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="seed must be >= 0"):
        ForwardFilter(SelectiveBackpropSelector(), batch_size=4, seed=-1)


# ---------------------------------------------------------------------------------------------- third probe
@pytest.mark.parametrize("num_workers", [0, 2])
def test_a_loop_that_never_reports_resumes_the_batches_its_workers_fetched_ahead(num_workers: int) -> None:
    """A uniform loop (no report) trains on what it is handed, not on what the workers fetched: a checkpoint
    mid-epoch resumes the very batches of the uninterrupted run (it skipped the prefetched ones)."""
    from autoassist.selectors import UniformSelector

    def run(state: dict[str, Any] | None = None, save_at: int | None = None) -> tuple[list[list[int]], Any]:
        assist = AutoAssist(_data(96), batch_size=8, seed=0, selector=UniformSelector())
        if state is not None:
            assist.load_state_dict(state)
        seen: list[list[int]] = []
        while assist.stats()["epoch"] < 2:
            for idx, _ in assist.loader(num_workers=num_workers, prefetch_factor=4 if num_workers else None):
                seen.append(idx.tolist())
                if len(seen) == save_at:
                    return seen, assist.state_dict()
        return seen, None

    full, _ = run()
    head, state = run(save_at=5)
    assert head + run(state)[0] == full and len(full) == 24


def test_the_position_is_the_loops_not_the_workers() -> None:
    """stats()["position"] (InfoBatch's stopping rule) is where the loop is, with workers fetching ahead;
    after a resume, where the loop was."""
    from autoassist.selectors import UniformSelector

    def three_steps(**loader: Any) -> AutoAssist:
        assist = AutoAssist(_data(), batch_size=8, seed=0, selector=UniformSelector())
        it = iter(assist.loader(**loader))
        for _ in range(3):
            idx, (x, y) = next(it)
            assist.report(idx, x.sum(1).abs())
        return assist

    plain, ahead = three_steps(), three_steps(num_workers=2, prefetch_factor=4)
    assert ahead.batches.steps > plain.batches.steps  # the workers fetched ahead
    for key in ("position", "steps", "epoch"):
        assert ahead.stats()[key] == plain.stats()[key]
    for assist in (plain, ahead):
        resumed = AutoAssist(_data(), batch_size=8, seed=0, selector=UniformSelector())
        resumed.load_state_dict(assist.state_dict())
        assert resumed.stats()["position"] == plain.stats()["position"]


def test_batches_out_of_order_are_refused() -> None:
    assist = AutoAssist(_data(), batch_size=8, seed=0)
    with pytest.raises(ParameterError, match="in_order must be True"):
        assist.loader(num_workers=2, in_order=False)


def test_a_state_saved_at_an_epochs_last_step_continues_with_the_next_epoch() -> None:
    """As the README says: resumed from stats()["epoch"], a save at the last step loses and adds nothing."""
    def run(state: dict[str, Any] | None = None, save_at: int | None = None) -> tuple[int, Any]:
        assist = AutoAssist(_data(96), batch_size=8, seed=0)  # 12 steps an epoch
        if state is not None:
            assist.load_state_dict(state)
        steps = 0
        for _ in range(int(assist.stats()["epoch"]), 3):
            for idx, (x, _y) in assist.loader():
                assist.report(idx, x.sum(1).abs())
                steps += 1
                if steps == save_at:
                    return steps, assist.state_dict()
        return steps, None

    assert run()[0] == 36
    for save_at in (11, 12, 13):
        head, state = run(save_at=save_at)
        assert head + run(state)[0] == 36


def test_stats_say_where_the_loop_is_and_a_superseded_iterator_is_refused() -> None:
    """With workers fetching ahead, stats()' steps and epoch are the loop's: a loop that stops on stats()["epoch"]
    trains whole epochs."""
    assist = AutoAssist(_data(96), batch_size=8, seed=0)  # 12 steps an epoch
    seen = 0
    while assist.stats()["epoch"] < 2:
        for idx, (x, _y) in assist.loader(num_workers=2, prefetch_factor=4):
            assist.report(idx, x.sum(1).abs())
            seen += 1
            s = assist.stats()
            assert (s["steps"], s["epoch"]) == (seen, seen // 12)
            if seen == 20:
                break
    assert seen == 24
    old = iter(assist.loader())
    newer = iter(assist.loader())
    with pytest.raises(RuntimeError, match="superseded"):
        next(old)
    next(newer)


def test_keep_rate_counts_the_batches_the_loop_has_been_handed_so_a_save_and_load_agree() -> None:
    """scanned and accepted counted the batches the workers had fetched ahead: a state saved mid-epoch and loaded
    said fewer (the fetched-ahead batches are replayed, not saved)."""
    data = TensorDataset(torch.randn(200, 4), torch.randint(0, 3, (200,)))
    assist = AutoAssist(data, batch_size=10, seed=0)
    for step, (idx, _) in enumerate(assist.loader(num_workers=2)):
        assist.report(idx, torch.rand(len(idx), generator=torch.Generator().manual_seed(int(idx[0]))))
        if step == 12:
            break
    said = assist.stats()
    resumed = AutoAssist(data, batch_size=10, seed=0)
    resumed.load_state_dict(assist.state_dict())
    assert {k: resumed.stats()[k] for k in ("scanned", "accepted")} == {k: said[k] for k in ("scanned", "accepted")}
    assist.close()
