"""ForwardFilter: forward selectors from a user's loop (resume, feedback, bad input)."""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np
import pytest
import torch

from autoassist import AutoAssist
from autoassist._errors import ParameterError, ParameterTypeError
from autoassist.selectors import ForwardFilter, OracleSelector, SelectiveBackpropSelector, UniformSelector

N = 120


def _losses(idx: Any, step: int) -> torch.Tensor:
    idx = torch.as_tensor(idx)
    return ((idx * 7919) % 97).double() / 97.0 * (1.0 + 0.5 * np.cos(0.3 * step))


def _run(make: Any, state: dict[str, Any] | None = None, save_after: int | None = None, top: bool = False
         ) -> tuple[list[list[int]], dict[str, Any] | None]:
    """Candidates of 16, filtered batches of 2 (one offer fills several); saves after ``save_after`` trained batches.
    The losses drift with the batches trained, as a Boss's would."""
    candidates = AutoAssist(torch.utils.data.TensorDataset(torch.arange(N)), batch_size=16, seed=0,
                            selector=UniformSelector())
    filt = ForwardFilter(make(), batch_size=2, seed=0)
    done = 0  # batches trained before this run
    if state is not None:
        candidates.load_state_dict(state["candidates"])
        filt.load_state_dict(state["filter"])
        done = state["trained"]
    trained: list[list[int]] = []

    def saved() -> dict[str, Any]:
        buffer = io.BytesIO()
        torch.save({"candidates": candidates.state_dict(), "filter": filt.state_dict(),
                    "trained": done + len(trained)}, buffer)
        buffer.seek(0)
        return torch.load(buffer, weights_only=True)

    for batch_idx, _w in filt.pending():  # kept by the state: trained before the next candidates are scored
        filt.observe(batch_idx, _losses(batch_idx, done + len(trained)))
        trained.append(batch_idx.tolist())
    while candidates.stats()["epoch"] < 2:
        for idx, _ in candidates.loader():
            for batch_idx, _w in filt.offer(idx, _losses(idx, done + len(trained))):
                if top and len(trained) == save_after:  # saved before training the batch just handed out
                    return trained, saved()
                filt.observe(batch_idx, _losses(batch_idx, done + len(trained)))
                trained.append(batch_idx.tolist())
                if not top and len(trained) == save_after:
                    return trained, saved()
    return trained, None


@pytest.mark.parametrize("make", [SelectiveBackpropSelector, OracleSelector])
def test_a_resume_between_the_batches_of_one_offer_trains_the_uninterrupted_batches(make: Any) -> None:
    full, _ = _run(make)
    assert len(full) > 10
    for save_after in (1, 2, 5, 9):
        for top in (False, True):
            head, state = _run(make, save_after=save_after, top=top)
            assert state is not None
            assert head + _run(make, state)[0] == full


def test_feedback_is_observed_through_the_filter_and_missing_feedback_is_said() -> None:
    filt = ForwardFilter(OracleSelector(), batch_size=4, seed=0)
    with pytest.warns(RuntimeWarning, match="observe\\(\\) was never called"):
        for step in range(4):
            list(filt.offer(torch.arange(16), _losses(torch.arange(16), step)))
    with pytest.warns(RuntimeWarning, match="non-finite losses were observed"):
        filt.observe(torch.arange(4), torch.tensor([1.0, 2.0, float("nan"), 3.0]))  # tensors; a NaN kept out
    assert filt.selector.running_mean == pytest.approx(2.0) and filt.nonfinite_losses == 1  # type: ignore[attr-defined]
    quiet = ForwardFilter(SelectiveBackpropSelector(), batch_size=4, seed=0)  # learns nothing from feedback
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for step in range(4):
            list(quiet.offer(np.arange(16), _losses(np.arange(16), step).numpy()))


def test_bad_input_is_named_before_anything_is_decided() -> None:
    filt = ForwardFilter(OracleSelector(), batch_size=4, seed=0)
    good = torch.rand(4)
    cases: list[tuple[Any, Any, type[Exception], str]] = [
        (torch.arange(4).reshape(2, 2), good, ParameterError, "indices must be a non-empty vector"),
        (torch.tensor([0.0, 1.5, 2.0, 3.0]), good, ParameterTypeError, "indices must be integer"),
        (torch.tensor([-1, 0, 1, 2]), good, ParameterError, "indices must be non-negative"),
        ("0123", good, ParameterTypeError, "indices must be the candidates' idx"),
        (torch.arange(4), torch.arange(4), ParameterTypeError, "losses must be floating-point"),
        (torch.arange(4), torch.tensor([0.1, float("nan"), 0.2, 0.3]), ParameterError, "losses must be finite"),
        (torch.arange(4), torch.rand(3), ParameterError, "losses must be per-instance losses of shape \\(4,\\)"),
    ]
    for indices, losses, error, message in cases:
        with pytest.raises(error, match=message):
            filt.offer(indices, losses)
    assert filt.scanned == 0 and filt.selector.stats()["oracle_informative_rate"] == 0.0
    with pytest.raises(ParameterTypeError, match="selector must be a selector instance"):
        ForwardFilter(SelectiveBackpropSelector, batch_size=4)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="same settings"):
        filt.load_state_dict(ForwardFilter(SelectiveBackpropSelector(), batch_size=4).state_dict())


def test_scoring_before_training_the_kept_batches_is_said() -> None:
    head, state = _run(OracleSelector, save_after=1)
    assert state is not None and len(state["filter"]["ready"]) > 0
    filt = ForwardFilter(OracleSelector(), batch_size=2, seed=0)
    filt.load_state_dict(state["filter"])
    with pytest.warns(RuntimeWarning, match="Train them first after load_state_dict"):
        first = next(filt.offer(torch.arange(16), _losses(torch.arange(16), 1)))
    assert first[0].tolist() == state["filter"]["ready"][0]["indices"][:2].tolist()


def test_more_bad_input_and_a_bad_state_change_nothing() -> None:
    class Wrong(OracleSelector):
        def decide_from_losses(self, indices: np.ndarray, losses: np.ndarray) -> Any:
            decision = super().decide_from_losses(indices, losses)
            return type(decision)(decision.accept_prob[:-1], decision.weight)

    filt = ForwardFilter(OracleSelector(), batch_size=4, seed=0)
    with pytest.raises(ParameterTypeError, match="boolean mask"):
        filt.offer(torch.ones(4, dtype=torch.bool), torch.rand(4))
    with pytest.raises(ParameterError, match="a forward selector"):
        ForwardFilter(type("NoKind", (), {"decide_from_losses": print})(), batch_size=4)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="Wrong.s decision must be one probability and one weight per candidate"):
        ForwardFilter(Wrong(), batch_size=4).offer(torch.arange(8), torch.rand(8))
    ready = filt.offer(torch.arange(64), torch.rand(64, generator=torch.Generator().manual_seed(0)))
    left = len(ready)
    assert left >= 2 and bool(ready) and len(list(ready)) == left and len(ready) == 0 and not ready
    filt.observe(torch.arange(4), torch.ones(4))
    state = filt.state_dict()
    broken = {k: v for k, v in state.items() if k != "rng"}
    broken["selector"] = {"running_mean": 10.0, "scanned": 0, "informative": 0}
    with pytest.raises(ParameterError, match="state must be what ForwardFilter.state_dict"):
        filt.load_state_dict(broken)
    assert filt.selector.running_mean == pytest.approx(1.0)  # type: ignore[attr-defined]


def test_a_custom_selectors_bad_decisions_are_named_on_both_paths() -> None:
    from autoassist.selectors import Decision, RandomSelector

    class Over(RandomSelector):
        def decide(self, indices: np.ndarray) -> Decision:
            return Decision(np.full(len(indices), 1.7), np.ones(len(indices)))

    class NaNWeights(OracleSelector):
        def decide_from_losses(self, indices: np.ndarray, losses: np.ndarray) -> Decision:
            return Decision(np.ones(len(indices)), np.full(len(indices), np.nan))

    assist = AutoAssist(torch.utils.data.TensorDataset(torch.arange(N)), batch_size=8, seed=0,
                        selector=Over(keep_rate=0.5))
    # raised on the worker thread, and again on the loop's as inline mode raises it
    with pytest.raises(ParameterError, match=r"Over's decision must be acceptance probabilities in \[0, 1\]"):
        next(iter(assist.loader()))
    assist.close()
    with pytest.raises(ParameterError, match="NaNWeights's decision must be finite, non-negative loss weights"):
        ForwardFilter(NaNWeights(), batch_size=4).offer(torch.arange(8), torch.rand(8))


def test_feedback_given_to_the_oracle_directly_is_not_said_to_be_missing() -> None:
    filt = ForwardFilter(OracleSelector(), batch_size=4, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for step in range(4):
            for batch_idx, _ in filt.offer(torch.arange(16), _losses(torch.arange(16), step)):
                filt.selector.observe(batch_idx, _losses(batch_idx, step).numpy())
    assert filt.handed >= 2


def test_a_batch_observed_twice_or_never_handed_out_is_counted_and_said() -> None:
    filt = ForwardFilter(OracleSelector(base_prob=1.0), batch_size=4, seed=0)
    (batch_idx, _weights), = list(filt.offer(torch.arange(4), torch.rand(4)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        filt.observe(batch_idx, torch.rand(4))  # the handed-out batch: nothing to say
    with pytest.warns(RuntimeWarning, match="no handed-out batch still waiting for its feedback"):
        filt.observe(batch_idx, torch.rand(4))  # the same batch again
    filt.observe(torch.tensor([7, 8]), torch.rand(2))  # never handed out: counted, said once
    assert filt.unmatched_observes == 2
    resumed = ForwardFilter(OracleSelector(base_prob=1.0), batch_size=4, seed=0)
    resumed.load_state_dict(filt.state_dict())
    assert resumed.unmatched_observes == 2
