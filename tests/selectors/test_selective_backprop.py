from __future__ import annotations

import math
from collections import deque

import numpy as np
import pytest

from autoassist._errors import ParameterError
from autoassist.selectors.forward import ForwardFilter
from autoassist.selectors.selective_backprop import SelectiveBackpropSelector, keep_probability


def _reference(stream: np.ndarray, beta: float, window: int, history: list[float] | None = None) -> np.ndarray:
    """The paper's loop: append the loss to the history, then its CDF among the history, to the beta."""
    recent: deque[float] = deque(history or [], maxlen=window)
    out = []
    for loss in stream:
        recent.append(float(loss))
        out.append((sum(1 for h in recent if h <= loss) / len(recent)) ** beta)
    return np.array(out)


@pytest.mark.parametrize(("n", "window", "n_hist"), [(20, 1024, 0), (40, 16, 10), (600, 50, 80), (300, 1024, 900)])
def test_core_matches_slow_reference(n: int, window: int, n_hist: int) -> None:
    rng = np.random.default_rng(n)
    history = np.round(rng.exponential(size=n_hist), 1)  # rounding makes ties
    losses = np.round(rng.exponential(size=n), 1)
    got = keep_probability(losses, history, 3.0, window)
    assert np.allclose(got, _reference(losses, 3.0, window, list(history)), rtol=0, atol=1e-12)


def test_selector_scores_the_stream_in_order() -> None:
    rng = np.random.default_rng(0)
    stream = rng.exponential(size=500)
    sel = SelectiveBackpropSelector(beta=2.0, history=64)
    got = np.concatenate([sel.decide_from_losses(np.arange(len(c)), c).accept_prob
                          for c in np.array_split(stream, 7)])
    assert np.allclose(got, _reference(stream, 2.0, 64), rtol=0, atol=1e-12)
    assert sel.stats()["sb_history_size"] == 64


def test_largest_loss_is_always_kept_and_weights_are_one() -> None:
    d = SelectiveBackpropSelector().decide_from_losses(np.arange(5), np.array([0.1, 0.2, 0.3, 0.4, 0.5]))
    assert d.accept_prob[-1] == 1.0 and np.all(d.accept_prob <= 1.0) and np.all(d.weight == 1.0)


def test_keep_rate_through_forward_filter() -> None:
    # continuous i.i.d. losses: the CDF is about uniform, so E[keep] = E[U ** 3] = 1/4
    filt = ForwardFilter(SelectiveBackpropSelector(beta=3.0), batch_size=32, seed=1)
    rng = np.random.default_rng(2)
    batches = []
    for step in range(40):
        batches += filt.offer(np.arange(step * 100, step * 100 + 100), rng.random(100))
    assert abs(filt.keep_rate - 0.25) < 0.03
    assert all(len(b) == 32 and np.all(w == 1.0) for b, w in batches)


def test_state_round_trip_continues_identically() -> None:
    rng = np.random.default_rng(4)
    a = SelectiveBackpropSelector(history=100)
    a.decide_from_losses(np.arange(150), rng.random(150))
    b = SelectiveBackpropSelector(history=100)
    b.load_state_dict(a.state_dict())
    nxt = rng.random(30)
    assert np.array_equal(a.decide_from_losses(np.arange(30), nxt).accept_prob,
                          b.decide_from_losses(np.arange(30), nxt).accept_prob)
    assert a.stats() == b.stats()


def test_validation() -> None:
    with pytest.raises(ParameterError, match="beta"):
        SelectiveBackpropSelector(beta=-1.0)
    with pytest.raises(ParameterError, match="history"):
        SelectiveBackpropSelector(history=0)
    with pytest.raises(ParameterError, match="reduction"):
        SelectiveBackpropSelector().decide_from_losses(np.arange(2), np.ones((2, 3)))
    with pytest.raises(ParameterError, match="finite"):
        SelectiveBackpropSelector().decide_from_losses(np.arange(2), np.array([1.0, math.nan]))
