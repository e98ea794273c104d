from __future__ import annotations

import math

import numpy as np
import pytest

from autoassist._errors import ParameterError
from autoassist.sampler import BatchGenerator
from autoassist.selectors.infobatch import InfoBatchSelector, first_full_pass, infobatch_prune

N = 400


def _reference_prune(scores, observed, r, coins):  # type: ignore[no-untyped-def]
    """Slow, literal statement of the rule."""
    mean = sum(s for s, o in zip(scores, observed) if o) / max(sum(observed), 1)
    keep, weight = [], []
    for s, o, c in zip(scores, observed, coins):
        low = bool(o) and s < mean
        dropped = low and c < r
        keep.append(not dropped)
        weight.append(1.0 / (1.0 - r) if low and not dropped else 1.0)
    return np.array(keep), np.array(weight)


def _selector(num_passes: int = 8, **kw: float) -> InfoBatchSelector:
    sel = InfoBatchSelector(num_passes, **kw)  # type: ignore[arg-type]
    sel.bind(N)
    return sel


def test_core_matches_literal_rule() -> None:
    rng = np.random.default_rng(0)
    scores, observed, coins = rng.exponential(size=50), rng.random(50) < 0.7, rng.random(50)
    for r in (0.0, 0.3, 0.5):
        keep, weight = infobatch_prune(scores, observed, r, coins)
        ref_keep, ref_weight = _reference_prune(scores, observed, r, coins)
        assert np.array_equal(keep, ref_keep) and np.array_equal(weight, ref_weight)


def test_first_pass_keeps_everything() -> None:
    sel = _selector()
    sel.begin_pass(0)
    d = sel.decide(np.arange(N))
    assert np.all(d.accept_prob == 1.0) and np.all(d.weight == 1.0)
    assert sel.stats()["infobatch_pruned_fraction"] == 0.0


def test_drops_and_weights_as_specified() -> None:
    sel = _selector(prune_ratio=0.5)
    losses = np.random.default_rng(1).exponential(size=N)
    seen = np.arange(N) < 300  # the last 100 were never observed
    sel.observe(np.flatnonzero(seen), losses[seen])
    sel.begin_pass(1)
    d = sel.decide(np.arange(N))
    low = seen & (losses < losses[seen].mean())
    assert set(np.unique(d.accept_prob)) <= {0.0, 1.0}
    assert np.all(d.accept_prob[~low] == 1.0) and np.all(d.weight[~low] == 1.0)  # high or unseen: kept, 1
    kept_low = low & (d.accept_prob == 1.0)
    assert np.all(d.weight[kept_low] == 2.0)
    dropped = int((low & (d.accept_prob == 0.0)).sum())
    n_low = int(low.sum())
    assert abs(dropped - 0.5 * n_low) < 4 * math.sqrt(n_low * 0.25)
    assert sel.pass_length() == N - dropped
    assert sel.stats()["infobatch_pruned_fraction"] == pytest.approx(dropped / N)
    sel.begin_pass(2)  # a fresh draw each pass, reproducible from (seed, pass)
    d2 = sel.decide(np.arange(N))
    assert not np.array_equal(d.accept_prob, d2.accept_prob)
    again = _selector(prune_ratio=0.5)
    again.observe(np.flatnonzero(seen), losses[seen])
    again.begin_pass(2)
    assert np.array_equal(again.decide(np.arange(N)).accept_prob, d2.accept_prob)


@pytest.mark.parametrize(("delta", "num_passes", "first_full"), [
    (0.875, 8, 7),    # whole: 7 pruned passes, the last one full
    (0.875, 10, 9),   # 8.75: passes 0..8 prune (pass < delta * num_passes), pass 9 full
    (0.5, 3, 2),      # 1.5
    (0.7, 10, 7),     # 0.7 * 10 == 7.000000000000001 in floats: still 7
    (1.0, 5, 5),      # never full inside the run
    (0.0, 5, 0),      # never prunes
])
def test_full_data_switch(delta: float, num_passes: int, first_full: int) -> None:
    assert first_full_pass(delta, num_passes) == first_full
    sel = _selector(num_passes, delta=delta, prune_ratio=0.5)
    losses = np.linspace(0.0, 1.0, N)
    sel.observe(np.arange(N), losses)
    for p in range(num_passes + 2):
        sel.begin_pass(p)
        d = sel.decide(np.arange(N))
        if p < first_full:
            assert (d.accept_prob == 0).any() and (d.weight == 2.0).any(), p
            assert sel.stats()["infobatch_full_data"] == 0.0
        else:
            assert np.all(d.accept_prob == 1.0) and np.all(d.weight == 1.0), p
            assert sel.stats()["infobatch_full_data"] == 1.0
        sel.observe(np.arange(N), losses)


def test_pruned_pass_is_shorter_in_the_batch_generator() -> None:
    sel = InfoBatchSelector(num_passes=4, delta=0.5, seed=2)
    gen = BatchGenerator(sel, N, batch_size=20, seed=0, steps_per_epoch=20, asynchronous=False)
    losses = np.linspace(0.0, 1.0, N)
    weights = []
    for idx in gen:  # pass 0: everything, observed
        gen.report(idx, losses[idx])
    assert sel._pass == 0 and gen.stats()["scanned"] == N
    for idx in gen:  # pass 1 prunes: more candidates scanned for the same number of steps
        gen.report(idx, losses[idx])
        weights.append(gen.last_weights)
    assert sel._pass >= 1 and gen.stats()["keep_rate"] < 0.9
    assert set(np.unique(np.concatenate(weights))) == {1.0, 2.0}


def test_state_round_trip_continues_identically() -> None:
    losses = np.random.default_rng(3).exponential(size=N)
    a = _selector(seed=5)
    a.observe(np.arange(0, N, 2), losses[::2])
    a.begin_pass(1)
    b = InfoBatchSelector(8, seed=5)
    b.bind(N)
    b.load_state_dict(a.state_dict())
    for sel in (a, b):
        sel.observe(np.arange(1, N, 2), losses[1::2])
    def same() -> bool:
        return all(np.array_equal(x, y) for x, y in zip(a.decide(np.arange(N)), b.decide(np.arange(N))))

    assert same()
    for sel in (a, b):
        sel.begin_pass(2)
    assert same() and a.pass_length() < N
    assert a.stats() == b.stats()


def test_validation() -> None:
    with pytest.raises(ParameterError, match="num_passes"):
        InfoBatchSelector(0)
    with pytest.raises(ParameterError, match="prune_ratio"):
        InfoBatchSelector(5, prune_ratio=1.0)
    with pytest.raises(ParameterError, match="delta"):
        InfoBatchSelector(5, delta=1.5)
    with pytest.raises(ParameterError, match="scores"):
        _selector().load_state_dict(InfoBatchSelector(8).state_dict())
