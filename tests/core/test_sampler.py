from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch

from autoassist._errors import ParameterError
from autoassist.assistants.linear import LinearAssistant
from autoassist.features import InstanceFeatures
from autoassist.sampler import BatchGenerator
from autoassist.selectors.autoassist import AutoAssistSelector
from autoassist.selectors.base import Decision, Selector
from autoassist.selectors.uniform import UniformSelector


def _features(n: int = 300, d: int = 5, seed: int = 0) -> InstanceFeatures:
    r = np.random.default_rng(seed)
    return InstanceFeatures(r.standard_normal((n, d)).astype(np.float32), r.integers(0, 3, n), 3)


def _autoassist(n: int = 300, base_prob: float = 0.3, **kw: object) -> AutoAssistSelector:
    return AutoAssistSelector(LinearAssistant(_features(n)), base_prob=base_prob, **kw)  # type: ignore[arg-type]


def _take(gen: BatchGenerator, epochs: int = 1) -> list[list[int]]:
    out: list[list[int]] = []
    for _ in range(epochs):
        out.extend(gen)
    return out


def test_base_prob_one_yields_the_uniform_permutation_stream() -> None:
    n, b, seed = 100, 16, 7
    gen = BatchGenerator(_autoassist(n, base_prob=1.0), n, b, seed=seed, asynchronous=False)
    got = np.concatenate(_take(gen, epochs=3))
    stream = np.concatenate([np.random.default_rng([seed, p]).permutation(n) for p in range(4)])
    np.testing.assert_array_equal(got, stream[: len(got)])
    uniform = BatchGenerator(UniformSelector(), n, b, seed=seed, asynchronous=True)
    np.testing.assert_array_equal(np.concatenate(_take(uniform, epochs=3)), got)


def test_prefer_easy_accepts_by_the_complement_of_the_score() -> None:
    hard, easy = _autoassist(base_prob=0.2), _autoassist(base_prob=0.2, prefer="easy")
    for sel in (hard, easy):
        sel.assistant.w[:] = np.array([2.0, -1.0, 0.0, 0.5, 0.0], dtype=np.float32)
    idx = np.arange(40)
    p = hard.assistant.score(idx)
    np.testing.assert_allclose(hard.decide(idx).accept_prob, 0.2 + 0.8 * p)
    np.testing.assert_allclose(easy.decide(idx).accept_prob, 0.2 + 0.8 * (1.0 - p))
    with pytest.raises(ParameterError, match="prefer must be one of 'hard', 'easy', 'easy-then-hard'; got 'easiest'"):
        _autoassist(prefer="easiest")


def test_easy_then_hard_switches_at_its_fraction_of_the_budget() -> None:
    sel = _autoassist(base_prob=0.2, prefer="easy-then-hard", switch_fraction=0.25, total_steps=100)
    sel.assistant.w[:] = np.array([2.0, -1.0, 0.0, 0.5, 0.0], dtype=np.float32)
    idx = np.arange(40)
    p = sel.assistant.score(idx)
    for step, prob in ((0, 1.0 - p), (24, 1.0 - p), (25, p), (99, p)):
        sel.set_step(step)
        np.testing.assert_allclose(sel.decide(idx).accept_prob, 0.2 + 0.8 * prob)
    with pytest.raises(ParameterError, match='total_steps must be set when prefer="easy-then-hard"'):
        _autoassist(prefer="easy-then-hard")
    with pytest.raises(ParameterError, match="switch_fraction"):
        _autoassist(prefer="easy-then-hard", total_steps=10, switch_fraction=1.5)


def test_steps_per_epoch_known_in_advance() -> None:
    gen = BatchGenerator(_autoassist(), 300, 32, asynchronous=False)
    assert len(gen) == 10 == len(_take(gen))
    assert all(len(batch) == 32 for batch in _take(gen))
    gen2 = BatchGenerator(UniformSelector(), 300, 32, world_size=4, rank=1, steps_per_epoch=None)
    assert len(gen2) == 3


def test_acceptance_frequencies_match_the_formula() -> None:
    n = 300
    sel = _autoassist(n, base_prob=0.2)
    sel.assistant.w[:] = np.array([2.0, -1.0, 0.0, 0.5, 0.0], dtype=np.float32)
    p = 0.2 + 0.8 * sel.assistant.score(np.arange(n))
    gen = BatchGenerator(sel, n, 50, seed=3, asynchronous=False)
    accepted = np.bincount(np.concatenate(_take(gen, epochs=60)), minlength=n)
    scanned = gen.stats()["scanned"] / n  # every instance is scanned this many times (whole passes + rest)
    expected = p * scanned
    # Binomial bound per instance, 5 sigma.
    assert np.all(np.abs(accepted - expected) < 5 * np.sqrt(expected * (1 - p)) + 2)
    assert gen.stats()["keep_rate"] == pytest.approx(p.mean(), abs=0.02)


def test_ranks_take_disjoint_slices_of_the_single_process_batch() -> None:
    n, b, w = 103, 8, 3
    gens = [BatchGenerator(UniformSelector(), n, b, seed=1, rank=r, world_size=w, asynchronous=False)
            for r in range(w)]
    single = BatchGenerator(UniformSelector(), n, b * w, seed=1, asynchronous=False)
    per_rank = [_take(g) for g in gens]
    assert len({len(p) for p in per_rank}) == 1 == len({len(g) for g in gens})
    for step, whole in enumerate(_take(single)[: n // (b * w)]):  # steps within the first pass
        parts = [per_rank[r][step] for r in range(w)]
        assert sum(parts, []) == whole and len(set(whole)) == len(whole)


class _RecordingSelector(Selector):
    name = "recording"

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []

    def decide(self, indices: np.ndarray) -> Decision:
        return Decision(np.ones(len(indices)), np.ones(len(indices)))

    def observe(self, indices: np.ndarray, losses: np.ndarray) -> None:
        self.threads.append(threading.current_thread())


def test_report_never_runs_the_assistant_on_the_bosss_thread() -> None:
    sel = _RecordingSelector()
    gen = BatchGenerator(sel, 200, 10, asynchronous=True)
    for idx in gen:
        before = len(sel.threads)
        gen.report(idx, torch.rand(len(idx)))
        assert all(t is not threading.current_thread() for t in sel.threads[before:])
    assert sel.threads and all(t.name == "autoassist-assembler" for t in sel.threads)


def test_no_thread_survives_the_loop_even_on_exceptions() -> None:
    before = set(threading.enumerate())
    gen = BatchGenerator(_autoassist(), 300, 16, asynchronous=True)
    _take(gen, epochs=2)
    assert set(threading.enumerate()) == before

    def train() -> None:
        for step, idx in enumerate(gen):
            gen.report(idx, torch.rand(len(idx)))
            if step == 3:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train()
    assert set(threading.enumerate()) == before


def test_saved_and_restored_generator_continues_identically() -> None:
    def run(gen: BatchGenerator, epochs: int) -> list[list[int]]:
        out = []
        for _ in range(epochs):
            for idx in gen:
                out.append(idx)
                gen.report(idx, torch.tensor(idx, dtype=torch.float32) % 7)
        return out

    full = BatchGenerator(_autoassist(), 300, 16, seed=5, asynchronous=False)
    reference = run(full, 4)
    first = BatchGenerator(_autoassist(), 300, 16, seed=5, asynchronous=False)
    head = run(first, 2)
    state = first.state_dict()
    resumed = BatchGenerator(_autoassist(), 300, 16, seed=5, asynchronous=False)
    resumed.load_state_dict(state)
    assert head + run(resumed, 2) == reference


def test_async_state_keeps_assembled_batches() -> None:
    gen = BatchGenerator(UniformSelector(), 300, 16, seed=2, asynchronous=True, lag=3)
    it = iter(gen)
    gen.report(next(it), torch.zeros(16))
    time.sleep(0.05)  # the worker assembles ahead
    state = gen.state_dict()
    rest = [next(it) for _ in range(4)]
    it.close()
    again = BatchGenerator(UniformSelector(), 300, 16, seed=2, asynchronous=True, lag=3)
    again.load_state_dict(state)
    assert list(again)[:4] == rest


def test_non_finite_losses_are_counted_with_one_warning() -> None:
    gen = BatchGenerator(_autoassist(), 300, 3, asynchronous=False)
    it = iter(gen)
    with pytest.warns(RuntimeWarning, match="non-finite"):
        gen.report(next(it), torch.tensor([1.0, float("nan"), float("inf")]))
    gen.report(next(it), torch.tensor([float("nan"), 1.0, 2.0]))  # no second warning (pytest's filter would fail it)
    next(it)  # inline mode learns the feedback when the next batch is assembled
    next(it)
    stats = gen.stats()
    assert stats["nonfinite_losses"] == 3 and stats["feedback_instances"] == 6


def test_report_does_not_modify_the_callers_tensor() -> None:
    gen = BatchGenerator(_autoassist(), 300, 2, asynchronous=False)
    losses = torch.tensor([1.0, 2.0], requires_grad=True)
    gen.report(torch.tensor(next(iter(gen))), losses)
    assert losses.requires_grad and losses.tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    ("indices", "losses", "message"),
    [
        ([0, 1], torch.zeros(2, 3), 'reduction="none"'),
        ([0, 1, 2], torch.zeros(2), "indices must be of the same length as losses"),
        ([0, 300], torch.zeros(2), r"indices must be in \[0, 300\); got 300"),
        ([-1, 3], torch.zeros(2), "got -1"),
    ],
)
def test_bad_feedback(indices: list[int], losses: torch.Tensor, message: str) -> None:
    gen = BatchGenerator(_autoassist(), 300, 4, asynchronous=False)
    next(iter(gen))
    with pytest.raises(ParameterError, match=message):
        gen.report(indices, losses)


def test_bad_settings() -> None:
    with pytest.raises(ParameterError, match="base_prob must be in"):
        _autoassist(base_prob=1.5)
    with pytest.raises(ParameterError, match="batch_size must be >= 1"):
        BatchGenerator(UniformSelector(), 10, 0)
    with pytest.raises(ParameterError, match="num_instances must be >= 1"):
        BatchGenerator(UniformSelector(), 0, 4)
    with pytest.raises(ParameterError, match="features must be one row per instance"):
        BatchGenerator(_autoassist(300), 299, 4)
    with pytest.raises(ParameterError, match="rank must be in"):
        BatchGenerator(UniformSelector(), 10, 4, rank=2, world_size=2)
    with pytest.raises(ParameterError, match="total_steps must be set"):
        _autoassist(anneal_fraction=0.1)


def test_warmup_and_annealing_accept_everything() -> None:
    sel = _autoassist(base_prob=0.0, warmup_instances=50)
    sel.bind(300)
    sel.assistant.b = -50.0  # would reject nearly everything
    assert np.all(sel.decide(np.arange(10)).accept_prob == 1)
    sel.observe(np.arange(60), np.ones(60))
    assert np.all(sel.decide(np.arange(10)).accept_prob < 1e-6)
    ann = _autoassist(base_prob=0.0, anneal_fraction=0.25, total_steps=100)
    ann.assistant.b = -50.0
    ann.set_step(74)
    assert np.all(ann.decide(np.arange(5)).accept_prob < 1e-6)
    ann.set_step(75)
    assert np.all(ann.decide(np.arange(5)).accept_prob == 1)


def test_unbiased_weights_are_normalised_inverse_probabilities() -> None:
    sel = _autoassist(base_prob=0.2, unbiased=True)
    sel.assistant.w[:] = 1.0
    gen = BatchGenerator(sel, 300, 32, asynchronous=False)
    idx = next(iter(gen))
    w = gen.last_weights
    inv = 1 / (0.2 + 0.8 * sel.assistant.score(np.array(idx)))
    np.testing.assert_allclose(w, inv / inv.mean())


@pytest.mark.parametrize("damage", ["ledger.recent", "stream.order", "epoch", "assembler.caps", "ready", "steps"])
def test_a_damaged_state_changes_nothing_and_says_so(damage: str) -> None:
    """A state that fails part-way used to leave the generator half-loaded (the selector, epoch and steps of the
    saved run, the rest fresh) with a bare KeyError or ValueError."""
    def make() -> BatchGenerator:
        return BatchGenerator(_autoassist(), 300, 20, seed=0, asynchronous=False)

    saving = make()
    for batch in _take(saving):
        saving.report(batch, np.ones(len(batch)))
    state = saving.state_dict()
    part, _, key = damage.partition(".")
    if key:
        del state[part][key]
    elif part == "epoch":
        state["epoch"] = "x"
    elif part == "steps":
        state["steps"] = float("inf")  # int(inf): an OverflowError, which escaped the rollback
    else:
        state["ready"] = [{"no": "batch"}]
    fresh, untouched = make(), make()
    with pytest.raises(ParameterError, match="state must be what AutoAssist.state_dict.. returned, whole; .*the generator "
                                             "is as it was"):
        fresh.load_state_dict(state)
    assert fresh.stats() == untouched.stats()
    assert fresh.selector.state_dict()["assistant"]["w"].tolist() == untouched.selector.state_dict()["assistant"]["w"].tolist()
    assert _take(fresh) == _take(untouched)


def test_passes_in_stats_is_where_the_loop_is_not_where_the_worker_is() -> None:
    """It counted the passes the worker had started: async, inline and a slow loop logged different values."""
    def passes(asynchronous: bool, pause: float) -> list[float]:
        gen = BatchGenerator(_autoassist(), 300, 100, seed=0, asynchronous=asynchronous)
        seen = []
        for _ in range(3):
            for batch in gen:
                gen.report(batch, np.ones(len(batch)))
                time.sleep(pause)
                seen.append(gen.stats()["passes"])
        gen.close()
        return seen

    inline = passes(False, 0.0)
    assert inline == passes(True, 0.0) == passes(True, 0.01)
    assert inline[0] == 1.0 and inline == sorted(inline)
