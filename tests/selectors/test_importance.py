from __future__ import annotations

import math

import numpy as np
import pytest

from autoassist._errors import ParameterError
from autoassist.sampler import BatchGenerator
from autoassist.selectors.importance import ImportanceSelector, sampling_probabilities, unbiasing_weights


def test_probabilities_formula() -> None:
    losses = np.array([1.0, 3.0, 0.0, 99.0])
    seen = np.array([True, True, True, False])  # the unseen one counts as the mean seen loss, 4/3
    p = sampling_probabilities(losses, seen, 0.1)
    filled = np.array([1.0, 3.0, 0.0, 4.0 / 3.0])
    assert np.allclose(p, 0.9 * filled / filled.sum() + 0.1 / 4)
    assert p.sum() == pytest.approx(1.0) and p.min() >= 0.1 / 4 - 1e-15
    assert np.array_equal(sampling_probabilities(losses, np.zeros(4, bool), 0.1), np.full(4, 0.25))
    assert np.array_equal(sampling_probabilities(np.zeros(4), np.ones(4, bool), 0.1), np.full(4, 0.25))
    assert unbiasing_weights(p).max() <= 1 / 0.1 + 1e-9


def test_weighted_mean_loss_is_unbiased() -> None:
    n = 100
    rng = np.random.default_rng(0)
    true = rng.exponential(size=n)
    stale = true * rng.uniform(0.3, 3.0, size=n)  # a wrong table: unbiasedness must not depend on it
    sel = ImportanceSelector(smoothing=0.1)
    sel.bind(n)
    sel.observe(np.arange(n), stale)
    sel.begin_pass(0)
    draws = np.concatenate([sel.candidates(p, np.random.default_rng([9, p])) for p in range(100)])
    terms = sel.decide(draws).weight * true[draws]  # each term estimates the full mean loss
    se = terms.std() / math.sqrt(len(terms))
    assert abs(terms.mean() - true.mean()) < 4 * se
    counts = np.bincount(draws, minlength=n) / len(draws)  # and the draw follows p
    assert np.abs(counts - sel.probabilities()).max() < 0.01


def test_batch_generator_accepts_every_draw_with_unbiasing_weights() -> None:
    n = 200
    losses = np.linspace(0.0, 2.0, n)
    sel = ImportanceSelector()
    gen = BatchGenerator(sel, n, batch_size=25, seed=1, steps_per_epoch=8, asynchronous=False)
    for idx in gen:  # pass 0: uniform draws, weight 1
        assert np.allclose(gen.last_weights, 1.0)
        gen.report(idx, losses[idx])
    for idx in gen:  # pass 1: drawn by the table, weighted 1 / (N p)
        assert np.allclose(gen.last_weights, 1.0 / (n * sel.probabilities()[idx]))
        gen.report(idx, losses[idx])
    s = gen.stats()
    assert s["keep_rate"] == 1.0 and s["passes"] == 2
    assert s["importance_max_weight"] <= 10.0


def test_resume_continues_identically() -> None:
    losses = np.random.default_rng(5).exponential(size=120)

    def make() -> BatchGenerator:
        return BatchGenerator(ImportanceSelector(0.2), 120, batch_size=16, seed=3, steps_per_epoch=20,
                              asynchronous=False)

    def run(gen: BatchGenerator, steps: int) -> list[tuple[list[int], list[float]]]:
        out = []
        for _, idx in zip(range(steps), gen):
            gen.report(idx, losses[idx])
            out.append((idx, gen.last_weights.tolist()))
        return out

    a = make()
    run(a, 10)
    state = a.state_dict()
    b = make()
    b.load_state_dict(state)
    assert run(a, 12) == run(b, 12)


def test_validation() -> None:
    with pytest.raises(ParameterError, match="smoothing"):
        ImportanceSelector(0.0)
    sel = ImportanceSelector()
    sel.bind(3)
    with pytest.raises(ParameterError, match="non-negative"):
        sel.observe(np.array([0]), np.array([-1.0]))
