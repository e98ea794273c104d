from __future__ import annotations

import math

import numpy as np
import pytest

from autoassist._errors import ParameterError, ParameterTypeError
from autoassist.sampler import BatchGenerator
from autoassist.selectors.random import RandomSelector, random_keep_probability


def test_core_is_constant() -> None:
    assert np.array_equal(random_keep_probability(4, 0.25), np.full(4, 0.25))


@pytest.mark.parametrize("q", [0.2, 0.5, 0.9])
def test_acceptance_frequency_matches_keep_rate(q: float) -> None:
    gen = BatchGenerator(RandomSelector(q), 500, batch_size=50, seed=3, steps_per_epoch=40, asynchronous=False)
    batches = list(gen)
    s = gen.stats()
    assert all(len(b) == 50 for b in batches) and s["accepted"] >= 2000
    n = s["scanned"]
    bound = 4.0 * math.sqrt(n * q * (1 - q))  # binomial standard deviations
    assert abs(s["accepted"] - n * q) < bound
    assert all(np.all(gen.last_weights == 1.0) for b in batches[-3:])


def test_resume_continues_identically() -> None:
    def make() -> BatchGenerator:
        return BatchGenerator(RandomSelector(0.4), 120, batch_size=16, seed=7, steps_per_epoch=9,
                              asynchronous=False)

    a = make()
    it = iter(a)
    [next(it) for _ in range(4)]
    state = a.state_dict()
    rest_a = list(it)
    b = make()
    b.load_state_dict(state)
    rest_b = list(b)[: len(rest_a)]
    assert rest_a == rest_b


def test_validation() -> None:
    with pytest.raises(ParameterError, match="keep_rate"):
        RandomSelector(0.0)
    with pytest.raises(ParameterError, match="keep_rate"):
        RandomSelector(1.5)
    with pytest.raises(ParameterTypeError, match="keep_rate"):
        RandomSelector("half")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="keep_rate"):
        RandomSelector(0.5).load_state_dict({"keep_rate": 0.3})
