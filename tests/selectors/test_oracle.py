from __future__ import annotations

import numpy as np
import pytest

from autoassist._errors import ParameterError
from autoassist.assistants.linear import LinearAssistant
from autoassist.features import InstanceFeatures
from autoassist.selectors.autoassist import acceptance_probability
from autoassist.selectors.forward import ForwardFilter
from autoassist.selectors.oracle import OracleSelector, oracle_informative


def _assistant(n: int) -> LinearAssistant:
    feats = InstanceFeatures(np.zeros((n, 2), dtype=np.float32), np.zeros(n, dtype=np.int64), 1)
    return LinearAssistant(feats)


def test_decisions_are_autoassist_rule_on_true_losses() -> None:
    rng = np.random.default_rng(0)
    sel = OracleSelector(base_prob=0.3)
    twin = _assistant(64)  # the same running-mean definition as the paper's Assistant
    for step in range(6):
        idx = rng.integers(0, 64, size=16)
        cand = rng.exponential(size=16)
        d = sel.decide_from_losses(idx, cand)
        truth = twin.targets(cand)  # 1 above the running mean (the batch's own mean before feedback)
        assert np.array_equal(d.accept_prob, acceptance_probability(truth, 0.3))
        assert set(np.unique(d.accept_prob)) <= {0.3, 1.0} and np.all(d.weight == 1.0)
        feedback = rng.exponential(size=8) * (1 + step)
        sel.observe(idx[:8], feedback)
        twin.learn(idx[:8], feedback)
        assert sel.running_mean == pytest.approx(twin.running_mean, rel=1e-12)


def test_first_decision_uses_the_candidate_batch_mean() -> None:
    losses = np.array([0.0, 1.0, 2.0, 3.0])
    assert np.array_equal(oracle_informative(losses, None), [0.0, 0.0, 1.0, 1.0])
    assert np.array_equal(oracle_informative(losses, 0.5), [0.0, 1.0, 1.0, 1.0])


def test_forward_filter_keep_rate() -> None:
    sel = OracleSelector(base_prob=0.3)
    sel.observe(np.arange(4), np.full(4, 0.5))
    filt = ForwardFilter(sel, batch_size=10, seed=0)
    rng = np.random.default_rng(1)
    for _ in range(30):
        filt.offer(np.arange(100), rng.random(100))  # half the losses are above 0.5
    assert abs(filt.keep_rate - (0.5 + 0.5 * 0.3)) < 0.04
    assert sel.stats()["oracle_informative_rate"] == pytest.approx(0.5, abs=0.03)


def test_state_round_trip_continues_identically() -> None:
    a = OracleSelector()
    a.observe(np.arange(3), np.array([1.0, 2.0, 3.0]))
    b = OracleSelector()
    b.load_state_dict(a.state_dict())
    for sel in (a, b):
        sel.observe(np.arange(2), np.array([5.0, 0.0]))
    cand = np.linspace(0.0, 4.0, 9)
    assert np.array_equal(a.decide_from_losses(np.arange(9), cand).accept_prob,
                          b.decide_from_losses(np.arange(9), cand).accept_prob)
    assert a.stats() == b.stats()


def test_validation() -> None:
    with pytest.raises(ParameterError, match="base_prob"):
        OracleSelector(base_prob=1.2)
    with pytest.raises(ParameterError, match="mean_decay"):
        OracleSelector(mean_decay=1.0)
    with pytest.raises(ParameterError, match="reduction"):
        OracleSelector().decide_from_losses(np.arange(3), np.ones(2))
