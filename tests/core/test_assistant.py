from __future__ import annotations

import numpy as np
import pytest

from autoassist._errors import ParameterError
from autoassist.assistants.linear import LinearAssistant, _sigmoid
from autoassist.features import InstanceFeatures


def _features(n: int = 400, d: int = 6, classes: int = 3, seed: int = 0) -> InstanceFeatures:
    r = np.random.default_rng(seed)
    return InstanceFeatures(r.standard_normal((n, d)).astype(np.float32), r.integers(0, classes, n), classes)


def test_vectorised_scores_equal_the_per_instance_formula() -> None:
    f = _features()
    a = LinearAssistant(f)
    r = np.random.default_rng(1)
    a.w = r.standard_normal(f.dim).astype(np.float32)
    a.u = r.standard_normal(f.num_classes).astype(np.float32)
    a.b = 0.3
    idx = np.arange(50)
    got = a.score(idx)
    for i in idx:
        z = float(np.dot(f.matrix[i].astype(np.float64), a.w)) + float(a.u[f.labels[i]]) + a.b
        assert got[i] == pytest.approx(1 / (1 + np.exp(-z)), rel=1e-5)


def test_sigmoid_is_stable_for_large_logits() -> None:
    out = _sigmoid(np.array([-1e4, 0.0, 1e4]))
    assert np.all(np.isfinite(out)) and out[0] == 0 and out[1] == 0.5 and out[2] == 1


def test_learns_a_planted_rule_to_over_90_percent() -> None:
    f = _features(n=2000, d=10)
    a = LinearAssistant(f, lr=0.5)
    r = np.random.default_rng(2)
    # Planted: the Boss's loss is high exactly when feature 0 is positive.
    for _ in range(600):
        idx = r.integers(0, len(f), 64)
        losses = np.where(f.matrix[idx, 0] > 0, 2.0, 0.1) + 0.01 * r.random(64)
        a.learn(idx, losses)
    truth = f.matrix[:, 0] > 0
    accuracy = np.mean((a.score(np.arange(len(f))) > 0.5) == truth)
    assert accuracy > 0.9
    assert a.accuracy > 0.9  # its own running accuracy agrees


def test_target_is_loss_above_running_mean() -> None:
    a = LinearAssistant(_features(), mean_decay=0.5)
    a.learn(np.arange(4), np.array([1.0, 1.0, 3.0, 3.0]))
    assert a.running_mean == 2.0
    np.testing.assert_array_equal(a.targets(np.array([1.0, 2.5])), [0.0, 1.0])
    a.learn(np.arange(2), np.array([4.0, 4.0]))
    assert a.running_mean == pytest.approx(0.5 * 2 + 0.5 * 4)


def test_one_sgd_step_matches_hand_computation() -> None:
    f = _features(n=4, d=2, classes=2)
    a = LinearAssistant(f, lr=0.1, l2=0.0)
    idx = np.arange(4)
    losses = np.array([0.0, 1.0, 0.0, 1.0])
    a.learn(idx, losses)  # p = 0.5 everywhere at start; targets 0,1,0,1
    g = (0.5 - np.array([0, 1, 0, 1])) / 4
    np.testing.assert_allclose(a.w, -0.1 * g @ f.matrix.astype(np.float64), rtol=1e-5)
    assert a.b == pytest.approx(0.0)


def test_state_dict_round_trip() -> None:
    f = _features()
    a, b = LinearAssistant(f), LinearAssistant(f)
    a.learn(np.arange(10), np.linspace(0, 1, 10))
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a.score(np.arange(20)), b.score(np.arange(20)))


def test_bad_settings() -> None:
    with pytest.raises(ParameterError, match="lr must be > 0"):
        LinearAssistant(_features(), lr=0)
    with pytest.raises(ParameterError, match="mean_decay"):
        LinearAssistant(_features(), mean_decay=1.0)


def test_history_assistant_learns_from_the_last_loss_when_pixels_say_nothing() -> None:
    from autoassist.assistants.loss_history import LossHistoryAssistant

    f = _features(n=500, d=4)
    a = LossHistoryAssistant(f, history_lr=0.5)
    hard = np.random.default_rng(3).random(500) < 0.4  # a fixed, feature-independent set of hard instances
    r = np.random.default_rng(4)
    for _ in range(400):
        idx = r.integers(0, 500, 64)
        a.learn(idx, np.where(hard[idx], 3.0, 0.2))
    accuracy = np.mean((a.score(np.arange(500)) > 0.5) == hard)
    assert accuracy > 0.9
    b = LossHistoryAssistant(f)
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a.score(np.arange(50)), b.score(np.arange(50)))
