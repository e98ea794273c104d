"""Token-bounded batches and the translation rules, through the public path."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from autoassist import AutoAssist, BatchGenerator
from autoassist._errors import ParameterError, ParameterTypeError
from autoassist.assist import TRANSLATION_RULES
from autoassist.batching import TokenBatcher, cut_by_tokens, instance_sizes
from autoassist.selectors.random import RandomSelector
from autoassist.selectors.uniform import UniformSelector

N = 400
LENGTHS = np.stack([np.random.default_rng(0).integers(1, 40, N), np.random.default_rng(1).integers(1, 40, N)], 1)
SIZES = instance_sizes(LENGTHS)


def _padded(batch: list[int]) -> int:
    return len(batch) * int(SIZES[batch].max())


def test_cut_never_exceeds_the_bound_and_keeps_every_instance() -> None:
    order = np.argsort(SIZES, kind="stable")
    runs = cut_by_tokens(order, SIZES, 200)
    assert all(len(r) * SIZES[r].max() <= 200 for r in runs)
    assert sorted(np.concatenate(runs).tolist()) == list(range(N))


def test_keep_all_is_one_length_bucketed_pass_per_epoch() -> None:
    gen = BatchGenerator(UniformSelector(), N, max_tokens=300, lengths=LENGTHS, seed=0, asynchronous=False)
    for _ in range(3):
        batches = list(gen)
        assert len(batches) == gen.steps_per_epoch
        assert sorted(sum(batches, [])) == list(range(N))  # every instance exactly once per pass
        assert all(_padded(b) <= 300 for b in batches)
    padding = np.mean([1 - SIZES[b].sum() / _padded(b) for b in batches])
    assert padding < 0.15  # sorted pools: little padding


@pytest.mark.parametrize("asynchronous", [False, True])
def test_selected_token_batches_stay_in_budget_and_lose_nothing(asynchronous: bool) -> None:
    gen = BatchGenerator(RandomSelector(0.5), N, max_tokens=250, lengths=LENGTHS, seed=3, asynchronous=asynchronous)
    yielded = [b for _ in range(3) for b in gen]
    assert all(_padded(b) <= 250 for b in yielded)
    batcher: TokenBatcher = gen._assembler.batcher  # type: ignore[assignment]
    pending = batcher._pooled + sum(len(i) for i, _ in batcher._queue) + sum(
        len(b.indices) for b in gen._assembler.ready)
    assert sum(len(b) for b in yielded) + pending == gen.stats()["accepted"]


def test_token_batches_under_two_ranks_are_disjoint_and_equal_in_number() -> None:
    gens = [BatchGenerator(UniformSelector(), N, max_tokens=300, lengths=LENGTHS, seed=0, rank=r, world_size=2,
                           asynchronous=False) for r in range(2)]
    a, b = list(gens[0]), list(gens[1])
    assert len(a) == len(b) == gens[0].steps_per_epoch
    assert not set(sum(a, [])) & set(sum(b, []))


def test_a_smaller_pool_decides_fewer_candidates_ahead_and_still_loses_nothing() -> None:
    scanned = {}
    for pool in (1, 32):
        gen = BatchGenerator(UniformSelector(), N, max_tokens=300, lengths=LENGTHS, pool_batches=pool, seed=0,
                             asynchronous=False)
        epoch = iter(gen)
        batches = [next(epoch)]
        scanned[pool] = gen.stats()["scanned"]
        batches += list(epoch)
        assert sorted(sum(batches, [])) == list(range(N)) and all(_padded(b) <= 300 for b in batches)
    assert scanned[1] < 30 < 300 < scanned[32]  # decided about a batch (11 instances) ahead, not most of the pass


def test_a_state_loads_only_into_the_same_pool_and_older_states_mean_the_default() -> None:
    def make(pool: int | None) -> BatchGenerator:
        return BatchGenerator(UniformSelector(), N, max_tokens=300, lengths=LENGTHS, pool_batches=pool, seed=0,
                              asynchronous=False)

    state = make(None).state_dict()
    with pytest.raises(ParameterError, match="state must be saved from a generator with the same settings"):
        make(4).load_state_dict(state)
    del state["config"]["pool_batches"]  # what a state saved before the setting was kept looks like
    make(32).load_state_dict(state)


def test_a_state_loads_only_onto_the_same_lengths() -> None:
    """Its batches were cut to max_tokens for the saved lengths: other lengths (a re-tokenised corpus of the same
    size) used to load and yield batches over the bound."""
    def make(lengths: np.ndarray) -> BatchGenerator:
        return BatchGenerator(UniformSelector(), N, max_tokens=300, lengths=lengths, seed=0, asynchronous=False)

    saving = make(LENGTHS)
    for _ in zip(range(3), saving):
        pass
    state = saving.state_dict()
    longer = LENGTHS.copy()
    longer[state["batcher"]["queue"][0][0][:3]] *= 4  # same number of steps, three queued pairs now longer
    with pytest.raises(ParameterError, match="state must be saved from a run over instances of the same lengths"):
        make(longer).load_state_dict(state)
    del state["config"]["lengths"]  # saved before the checksum was kept: loads, unchecked
    make(LENGTHS).load_state_dict(state)


def test_bad_token_settings() -> None:
    with pytest.raises(ParameterError, match="lengths must be given"):
        BatchGenerator(UniformSelector(), N, max_tokens=100)
    with pytest.raises(ParameterError, match="max_tokens must be at least the longest instance"):
        BatchGenerator(UniformSelector(), N, max_tokens=10, lengths=LENGTHS)
    with pytest.raises(ParameterError, match="batch_size must be None when max_tokens"):
        BatchGenerator(UniformSelector(), N, 32, max_tokens=100, lengths=LENGTHS)
    with pytest.raises(ParameterError, match="pool_batches must be >= 1; got 0"):
        BatchGenerator(UniformSelector(), N, max_tokens=100, lengths=LENGTHS, pool_batches=0)
    with pytest.raises(ParameterError, match="pool_batches must be given only with max_tokens"):
        AutoAssist([(i, 0) for i in range(N)], batch_size=8, pool_batches=4)  # type: ignore[arg-type]


def test_report_with_tokens_back_propagates_the_token_normalised_loss() -> None:
    data = [(i, i % 3) for i in range(N)]
    assist = AutoAssist(data, max_tokens=300, lengths=LENGTHS, assistant="loss-only", seed=0)  # type: ignore[arg-type]
    idx, _ = next(iter(assist.loader()))
    losses = torch.rand(len(idx), requires_grad=True)
    tokens = torch.as_tensor(LENGTHS[idx.numpy(), 1])
    loss = assist.report(idx, losses, tokens=tokens)
    assert torch.isclose(loss, (losses * tokens).sum() / tokens.sum())
    with pytest.raises(ParameterError, match="one loss per sentence"):
        assist.report(idx, torch.rand(len(idx), 7))


def test_translation_rules_accept_the_first_pass_then_select() -> None:
    data = [(i, 0) for i in range(N)]
    assist = AutoAssist(data, max_tokens=300, lengths=LENGTHS, assistant="loss-only", seed=0,  # type: ignore[arg-type]
                        asynchronous=False, **TRANSLATION_RULES)
    rng = np.random.default_rng(0)
    for epoch in range(3):
        for idx, _ in assist.loader():
            assist.report(idx, torch.as_tensor(rng.random(len(idx)) + (idx.numpy() % 2)))
        if epoch == 0:
            assert assist.stats()["keep_rate"] == 1.0
    assert assist.stats()["keep_rate"] < 1.0
    assert assist.assistant.previous_pass_mean is not None  # type: ignore[union-attr]


class _Recording(RandomSelector):
    """Random selection that records the step at which each decided candidate was decided."""

    def __init__(self, keep: float) -> None:
        super().__init__(keep)
        self.step = 0
        self.decided_at: dict[int, list[int]] = {}

    def set_step(self, step: int) -> None:
        self.step = step

    def decide(self, indices: np.ndarray):  # type: ignore[no-untyped-def]
        for i in indices.tolist():
            self.decided_at.setdefault(i, []).append(self.step)
        return super().decide(indices)


def _fresh(selector: object, **kw: object) -> BatchGenerator:
    settings: dict = dict(max_tokens=300, lengths=LENGTHS, seed=0, asynchronous=False, fresh_decisions=True)
    return BatchGenerator(selector, N, **{**settings, **kw})  # type: ignore[arg-type]


def test_fresh_keep_all_is_one_pass_per_epoch_packed_as_well_as_the_pool() -> None:
    gen = _fresh(UniformSelector())
    pooled = BatchGenerator(UniformSelector(), N, max_tokens=300, lengths=LENGTHS, seed=0, asynchronous=False)
    for _ in range(3):
        batches = list(gen)
        assert len(batches) == gen.steps_per_epoch
        assert sorted(sum(batches, [])) == list(range(N)) and all(_padded(b) <= 300 for b in batches)
    assert gen.steps_per_epoch <= pooled.steps_per_epoch
    assert np.mean([1 - SIZES[b].sum() / _padded(b) for b in batches]) < 0.15


@pytest.mark.parametrize("asynchronous", [False, True])
def test_fresh_decides_each_candidate_once_when_its_batch_is_cut_and_loses_nothing(asynchronous: bool) -> None:
    selector = _Recording(0.5)
    gen = _fresh(selector, max_tokens=250, asynchronous=asynchronous, lag=1)
    batches, fresh, total = [], 0, 0
    for _ in range(2):  # two epochs: under three passes at keep rate 0.5
        for step, batch in enumerate(gen, start=len(batches)):
            batches.append(batch)
            decided = [selector.decided_at[i][-1] for i in batch]
            fresh += sum(d == step for d in decided)
            total += len(batch)
    assert all(_padded(b) <= 250 for b in batches)
    assert fresh == total  # every instance trained was decided at the cut of its own batch
    pending = sum(len(b.indices) for b in gen._assembler.ready)  # assembled ahead, not yielded yet
    assert sum(len(b) for b in batches) + pending == gen.stats()["accepted"]
    redecided = sum(len(steps) - 1 for steps in selector.decided_at.values()) - N * (gen.stats()["passes"] - 1)
    assert redecided < 0.1 * gen.stats()["scanned"]  # about one dropped decision a batch (batches of ~8 here)


def test_the_pool_decides_ahead_of_its_batches() -> None:
    selector = _Recording(0.5)
    gen = BatchGenerator(selector, N, max_tokens=250, lengths=LENGTHS, seed=0, asynchronous=False, lag=1)
    batches = list(gen)
    fresh = sum(selector.decided_at[i][-1] == step for step, b in enumerate(batches) for i in b)
    assert fresh / sum(map(len, batches)) < 0.2


def test_fresh_batches_under_two_ranks_are_disjoint_and_equal_in_number() -> None:
    gens = [_fresh(UniformSelector(), rank=r, world_size=2) for r in range(2)]
    a, b = list(gens[0]), list(gens[1])
    assert len(a) == len(b) == gens[0].steps_per_epoch
    assert not set(sum(a, [])) & set(sum(b, [])) and len(set(sum(a + b, []))) == N


def test_a_fresh_run_resumed_mid_epoch_equals_the_uninterrupted_one() -> None:
    def losses(idx: list[int]) -> torch.Tensor:
        return torch.as_tensor((np.asarray(idx) % 7) / 7.0)

    def run(gen: BatchGenerator, steps: int) -> list[list[int]]:
        out: list[list[int]] = []
        it = iter(gen)
        while len(out) < steps:
            batch = next(it, None)
            if batch is None:  # the epoch ended: the next one
                it = iter(gen)
                continue
            gen.report(batch, losses(batch))
            out.append(batch)
        return out

    def make() -> BatchGenerator:
        data = [(i, 0) for i in range(N)]
        assist = AutoAssist(data, max_tokens=300, lengths=LENGTHS, assistant="loss-only", seed=1,  # type: ignore[arg-type]
                            fresh_decisions=True, lag=2, **TRANSLATION_RULES)
        return assist.batches

    whole = run(make(), 100)
    first = make()
    head = run(first, 57)
    state = first.state_dict()
    first.close()
    resumed = make()
    resumed.load_state_dict(state)
    assert head + run(resumed, 43) == whole


def test_bad_fresh_settings() -> None:
    with pytest.raises(ParameterError, match="fresh_decisions must be True only with max_tokens"):
        AutoAssist([(i, 0) for i in range(N)], batch_size=8, fresh_decisions=True)  # type: ignore[arg-type]
    with pytest.raises(ParameterTypeError, match="fresh_decisions must be True or False"):
        _fresh(UniformSelector(), fresh_decisions="yes")
    state = BatchGenerator(UniformSelector(), N, max_tokens=300, lengths=LENGTHS, seed=0).state_dict()
    with pytest.raises(ParameterError, match="same settings"):
        _fresh(UniformSelector()).load_state_dict(state)


def test_fresh_batches_share_a_passs_last_batch_among_the_ranks_before_the_next_pass() -> None:
    # the pass's last run (3 instances) used to go to rank 0 while rank 1 took the next pass's first batch
    data = torch.utils.data.TensorDataset(torch.arange(9))
    epoch = []
    for rank in (0, 1):
        assist = AutoAssist(data, max_tokens=3, lengths=np.ones(9, dtype=np.int64), selector=UniformSelector(),
                            seed=0, rank=rank, world_size=2, fresh_decisions=True, pool_batches=2, asynchronous=False)
        epoch += [i for batch in assist.batches for i in batch]
    assert sorted(epoch) == list(range(9))


class _Indifferent:
    """An Assistant that scores every candidate 0: only base_prob and accept-all decide."""

    instances_seen = 0

    def score(self, indices: np.ndarray) -> np.ndarray:
        return np.zeros(len(indices))

    def learn(self, indices: np.ndarray, losses: np.ndarray) -> None:
        self.instances_seen += len(indices)

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass

    def stats(self) -> dict:
        return {}


def test_anneal_trains_the_last_steps_on_every_instance_though_a_pool_is_decided_ahead() -> None:
    # the pool batcher decides a pool's worth of steps ahead: accept-all used to start only when the deciding
    # step crossed the boundary, so the first steps of the anneal trained on base_prob's choice
    data = torch.utils.data.TensorDataset(torch.arange(N))
    total = 3 * BatchGenerator(UniformSelector(), N, max_tokens=300, lengths=LENGTHS, seed=0).steps_per_epoch
    assist = AutoAssist(data, max_tokens=300, lengths=LENGTHS, assistant=_Indifferent(), base_prob=0.3,  # type: ignore[arg-type]
                        anneal_fraction=0.15, total_steps=total, pool_batches=8, seed=0, asynchronous=False)
    selector, decided_all = assist.selector, {}
    decide = selector.decide

    def recording(indices: np.ndarray):  # type: ignore[no-untyped-def]
        decided_all.update(dict.fromkeys(np.asarray(indices).tolist(), selector._accept_all()))  # type: ignore[attr-defined]
        return decide(indices)

    selector.decide = recording  # type: ignore[method-assign]
    step, every = 0, []
    while step < total:
        for idx, _ in assist.loader():
            every.append(all(decided_all[i] for i in idx.tolist()))
            assist.report(idx, torch.rand(len(idx)))
            step += 1
    # pools are cut short of the anneal's first step: it starts there, neither later nor a pool early
    start = math.ceil(0.85 * total)
    assert all(every[start:total]) and not any(every[start - 10:start])


def test_lengths_and_token_counts_a_new_user_got_wrong_are_named() -> None:
    data = torch.utils.data.TensorDataset(torch.arange(4))
    pairs = np.array([[3, 2], [4, 0], [2, 2], [1, 1]])  # an empty target takes the source's room: accepted
    assert AutoAssist(data, max_tokens=8, lengths=pairs, assistant="loss-only").steps_per_epoch >= 1
    with pytest.raises(ParameterError, match=r"lengths must be positive token counts.*\[0, 0\] for instance 1"):
        AutoAssist(data, max_tokens=8, lengths=np.array([[3, 2], [0, 0], [2, 2], [1, 1]]), assistant="loss-only")
    with pytest.raises(ParameterError, match="ragged"):
        AutoAssist(data, max_tokens=8, lengths=[[1, 2], [3], [1, 1], [2, 2]], assistant="loss-only")
    assist = AutoAssist(data, max_tokens=8, lengths=np.full(4, 2), assistant="loss-only")
    idx, _ = next(iter(assist.loader()))
    with pytest.raises(ParameterError, match="tokens must be finite"):
        assist.report(idx, torch.rand(len(idx)), tokens=torch.full((len(idx),), float("inf")))


def test_loss_shapes_a_new_user_got_wrong_are_named_with_the_sequence_fix() -> None:
    data = torch.utils.data.TensorDataset(torch.arange(40))
    tokens = AutoAssist(data, max_tokens=40, lengths=np.full(40, 5), assistant="loss-only", asynchronous=False)
    idx, _ = next(iter(tokens.loader()))
    b = len(idx)
    assert b > 1
    for losses, said in ((torch.rand(b, 7), rf"shape \(B, T\) = \({b}, 7\). Average the token losses"),
                         (torch.rand(7, b), rf"of shape \({b},\), one loss per sentence of the batch; got shape \(7, {b}\)"),
                         (torch.rand(b, 1), rf"got shape \({b}, 1\). Drop the last dimension")):
        with pytest.raises(ParameterError, match=said):
            tokens.report(idx, losses)
    with pytest.raises(ParameterError, match=r"tokens must be finite non-negative token counts; got -3 \(the least\)"):
        tokens.report(idx, torch.rand(b), tokens=torch.tensor([-3] + [1] * (b - 1)))
    counted = AutoAssist(data, batch_size=4, assistant="loss-only", asynchronous=False)
    idx, _ = next(iter(counted.loader()))
    with pytest.raises(ParameterError, match="shape .4, 7.. Compute the loss .* For sequences, give each sentence's "
                                             "mean token loss"):
        counted.report(idx, torch.rand(4, 7))
    with pytest.raises(ParameterError, match=r"shape \(4, 1\). Drop the last dimension: losses.squeeze\(1\).$"):
        counted.report(idx, torch.rand(4, 1))  # a regression's mse_loss(out, y, reduction="none")


def test_sequence_losses_names_a_bad_pad_id() -> None:
    from autoassist.losses import sequence_losses

    with pytest.raises(ParameterTypeError, match="pad_id must be an integer"):
        sequence_losses(torch.randn(2, 3, 5), torch.zeros(2, 3, dtype=torch.long), pad_id=0.5)  # type: ignore[arg-type]
