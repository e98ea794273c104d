"""Assistants and selectors of one's own: one that (almost) never accepts stops the batch generator with an error
instead of spinning forever; one that lacks part of the protocol is told which."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from autoassist import AutoAssist
from autoassist._errors import ParameterError
from autoassist.selectors.base import Decision, Selector


class _Constant:
    """An Assistant (the protocol) that scores every instance the same and learns nothing."""

    instances_seen = 0

    def __init__(self, score: float | np.ndarray) -> None:
        self.value = score

    def score(self, indices: np.ndarray) -> np.ndarray:
        return np.broadcast_to(np.asarray(self.value, dtype=np.float64), (len(indices),)).copy() \
            if np.ndim(self.value) == 0 else np.asarray(self.value)[indices]

    def learn(self, indices: np.ndarray, losses: np.ndarray) -> None:
        self.instances_seen += len(indices)

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass

    def stats(self) -> dict[str, float]:
        return {}


def _data(n: int = 60) -> TensorDataset:
    return TensorDataset(torch.randn(n, 3), torch.randint(0, 2, (n,)))


@pytest.mark.parametrize("score", [0.0, 1e-12])
def test_a_batch_that_would_never_fill_is_an_error_inline(score: float) -> None:
    assist = AutoAssist(_data(), batch_size=6, base_prob=0.0, assistant=_Constant(score), asynchronous=False)
    with pytest.raises(ParameterError, match="acceptance probabilities must be large enough to fill a batch.*"
                                             "over the 60 candidates of pass 1. With AutoAssist, set base_prob above 0"):
        next(iter(assist.loader()))


def test_a_batch_that_would_never_fill_is_the_same_error_from_the_worker_thread() -> None:
    assist = AutoAssist(_data(), batch_size=6, base_prob=0.0, assistant=_Constant(0.0))
    with pytest.raises(ParameterError, match="acceptance probabilities must be large enough to fill a batch"):
        next(iter(assist.loader()))
    assist.close()


class _EverySecondPass(Selector):
    """Accepts nothing in even passes and everything in odd ones: a schedule by pass, legitimate."""

    name = "every-second-pass"
    learns = False

    def __init__(self) -> None:
        self.current = 0

    def begin_pass(self, pass_index: int) -> None:
        self.current = pass_index

    def decide(self, indices: np.ndarray) -> Decision:
        return Decision(np.full(len(indices), float(self.current % 2)), np.ones(len(indices)))


@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_selector_that_accepts_nothing_for_one_pass_by_its_schedule_is_no_error(asynchronous: bool) -> None:
    """The selector's pass can change while a batch is assembled: a dry pass followed by a wet one is no hang."""
    assist = AutoAssist(_data(), batch_size=6, selector=_EverySecondPass(), asynchronous=asynchronous)
    idx, _ = next(iter(assist.loader()))
    assert len(idx) == 6
    assist.close()


def test_rare_acceptances_still_fill_batches() -> None:
    """1e-3 a candidate: a pass of 60 expects 0.06 acceptances, so the generator keeps drawing passes."""
    assist = AutoAssist(_data(), batch_size=2, base_prob=0.0, assistant=_Constant(1e-3), asynchronous=False)
    idx, _ = next(iter(assist.loader()))
    assert len(idx) == 2


def test_unbiased_weights_with_base_prob_0_leave_never_accepted_candidates_unweighted() -> None:
    """A candidate of probability 0 used to get weight 1/0 = inf, which killed the generator."""
    scores = np.where(np.arange(60) % 2 == 0, 0.0, 0.8)
    assist = AutoAssist(_data(), batch_size=6, base_prob=0.0, unbiased=True, assistant=_Constant(scores),
                        asynchronous=False)
    for idx, _ in assist.loader():
        loss = assist.report(idx, torch.ones(len(idx)))
        assert torch.isfinite(loss) and (idx % 2 == 1).all()



def test_an_assistant_without_instances_seen_is_told_what_it_lacks() -> None:
    members = ("__init__", "score", "learn", "state_dict", "load_state_dict", "stats")
    uncounted = type("_Uncounted", (), {name: vars(_Constant)[name] for name in members})(0.5)
    with pytest.raises(TypeError, match=r"an object with instances_seen, score, .*; got _Uncounted, which lacks "
                                        r"instances_seen\."):
        AutoAssist(_data(), batch_size=4, assistant=uncounted)
