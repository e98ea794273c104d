"""Several processes for real: torch.multiprocessing.spawn, the gloo backend, on the CPU.

One spawn of 2 processes (a few seconds) serves the fast tests below; the dead-rank test is slow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp

import ddp_workers as w
from autoassist._state import states_equal


def _spawn(fn: Any, folder: Path, nprocs: int = 2) -> None:
    mp.spawn(fn, args=(nprocs, str(folder)), nprocs=nprocs, join=True)


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("ddp")
    _spawn(w.agreement, folder)
    return [torch.load(folder / f"rank{r}.pt", weights_only=False) for r in range(2)]


@pytest.fixture(scope="module")
def one_rank_double_batch() -> dict[str, Any]:
    return w.run_all(1, 2 * w.BATCH)




def test_feedback_of_unequal_sizes_is_concatenated_in_rank_order(two_ranks: list[dict[str, Any]]) -> None:
    for step, sizes in enumerate([(4, 4), (0, 3), (0, 0), (9, 2), (1, 7)]):
        idx = [i + 100 * r for r in range(2) for i in range(sizes[r])]
        losses = [v for r in range(2) for v in (np.linspace(0.0, 1.0, sizes[r]) + r).tolist()]
        for rank in range(2):
            assert two_ranks[rank]["unequal"][step] == (idx, losses)  # bit-exact float64 losses


@pytest.mark.parametrize("name", list(w.MAKERS))
def test_ranks_take_equal_steps_and_disjoint_shards_that_cover_each_pass(
        two_ranks: list[dict[str, Any]], name: str) -> None:
    r0, r1 = (two_ranks[r][name] for r in range(2))
    assert r0["world_size"] == r1["world_size"] == 2  # taken from the process group
    assert len(r0["steps"]) == len(r1["steps"]) == w.EPOCHS * -(-w.N // (2 * w.BATCH))
    overlapping = 0
    for a, b in zip(r0["steps"], r1["steps"]):
        assert len(a) == len(b) == w.BATCH
        overlapping += bool(set(a) & set(b))
    # Shards are disjoint, except that a global batch that straddles two passes may hold an instance of
    # both (as one process's batch does); importance sampling draws with replacement.
    if name != "importance":
        assert overlapping <= r0["stats"]["passes"]
    if name in ("uniform", "infobatch"):  # uniform: every epoch covers the data; InfoBatch: its first pass
        per_epoch = w.N // (2 * w.BATCH)
        for epoch in range(w.EPOCHS if name == "uniform" else 1):
            steps = range(epoch * per_epoch, (epoch + 1) * per_epoch)
            assert sorted(i for s in steps for i in r0["steps"][s] + r1["steps"][s]) == list(range(w.N))


@pytest.mark.parametrize("name", list(w.MAKERS))
def test_every_rank_holds_the_same_selector_state(two_ranks: list[dict[str, Any]], name: str) -> None:
    assert states_equal(two_ranks[0][name]["selector"], two_ranks[1][name]["selector"])
    assert two_ranks[0][name]["inline_steps"] == two_ranks[0][name]["steps"]  # inline == asynchronous
    assert two_ranks[0][name]["stats"]["exchanges"] >= len(two_ranks[0][name]["steps"]) - 2 * 2


@pytest.mark.parametrize("name", list(w.MAKERS))
def test_two_processes_select_what_one_process_with_the_doubled_batch_selects(
        two_ranks: list[dict[str, Any]], one_rank_double_batch: dict[str, Any], name: str) -> None:
    single = one_rank_double_batch[name]
    joined = [a + b for a, b in zip(two_ranks[0][name]["steps"], two_ranks[1][name]["steps"])]
    assert joined == single["steps"]
    weights = [a + b for a, b in zip(two_ranks[0][name]["weights"], two_ranks[1][name]["weights"])]
    assert weights == single["weights"]  # loss weights (unbiased AutoAssist, InfoBatch, importance) agree
    assert states_equal(two_ranks[0][name]["selector"], single["selector"])
    assert two_ranks[0][name]["inline_stats"]["keep_rate"] == single["inline_stats"]["keep_rate"]


def test_forward_selectors_train_slices_of_the_same_global_batches_on_every_rank(
        two_ranks: list[dict[str, Any]]) -> None:
    """ForwardFilter gathers every rank's candidates: the ranks take the same steps (a rank filling batches at its
    own pace made a DDP all-reduce wait forever), each trains its slice of what one process with the doubled
    batch trains."""
    single = w.forward_filter(2 * w.BATCH)
    assert len(single) > 5
    for rank in range(2):
        part = slice(rank * w.BATCH, (rank + 1) * w.BATCH)
        assert two_ranks[rank]["forward"] == [(idx[part], weights[part]) for idx, weights in single]
        assert "ForwardFilter settings must be the same on every rank" in two_ranks[rank]["forward_seed_per_rank"]
        assert "seed" in two_ranks[rank]["forward_seed_per_rank"]


def test_fresh_token_batches_agree_on_every_rank(two_ranks: list[dict[str, Any]]) -> None:
    """fresh_decisions under DDP: every rank decides the same candidates alike and takes its own batch of each
    global batch; the ranks' batches are disjoint within a step, equal in number, and asynchronous equals inline."""
    r0, r1 = two_ranks[0]["fresh"], two_ranks[1]["fresh"]
    assert len(r0["steps"]) == len(r1["steps"]) == 3 * r0["steps_per_epoch"]
    assert all(a and b and not set(a) & set(b) for a, b in zip(r0["steps"], r1["steps"]))
    assert all(len(a) * int(w.LENGTHS[a].max()) <= 120 for a in r0["steps"] + r1["steps"])
    assert r0["inline_steps"] == r0["steps"] and r1["inline_steps"] == r1["steps"]
    assert states_equal(r0["selector"], r1["selector"])
    assert r0["stats"]["keep_rate"] == r1["stats"]["keep_rate"] < 1.0  # the rules skipped after the first pass


def test_rank_zero_saves_and_every_rank_resumes_identically(two_ranks: list[dict[str, Any]]) -> None:
    for r in range(2):
        assert two_ranks[r]["resumed"] == two_ranks[r]["autoassist"]["steps"]


@pytest.mark.slow
def test_a_rank_that_stops_makes_the_others_raise_after_the_timeout(tmp_path: Path) -> None:
    _spawn(w.dead_rank, tmp_path)
    outcome0, seconds0 = (tmp_path / "rank0.txt").read_text().splitlines()
    outcome1, _ = (tmp_path / "rank1.txt").read_text().splitlines()
    assert outcome1 == "finished"
    assert outcome0.startswith("error:") and float(seconds0) < 30


@pytest.mark.slow
def test_a_rank_that_fails_in_inline_mode_closes_without_waiting_for_the_others(tmp_path: Path) -> None:
    _spawn(w.failing_rank_inline, tmp_path)
    outcome, seconds = (tmp_path / "rank1.txt").read_text().split("|")
    assert outcome == "error: out of memory in backward" and float(seconds) < 2.0
    assert (tmp_path / "rank0.txt").read_text().startswith("error:")


@pytest.mark.slow
def test_the_readme_torchrun_command_runs_the_example_and_resumes(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", str(root / "examples" / "ddp.py"),
           "--epochs", "2", "--num-train", "1000"]
    ckpt = tmp_path / "ckpt.pt"
    first = subprocess.run(cmd + ["--stop-after", "20", "--save", str(ckpt)], env=env, capture_output=True,
                           text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-3000:]
    second = subprocess.run(cmd + ["--resume", str(ckpt)], env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "epoch 2:" in second.stdout and "Boss steps 32" in second.stdout  # 2 epochs of ceil(1000 / 64) steps


def test_a_batch_one_rank_leaves_unreported_makes_every_rank_raise_at_once(tmp_path: Path) -> None:
    # rank 1 skips the report of its epoch's last batch; the exchange timeout is 20 s, so a hang shows as >= 20 s
    _spawn(w.skipped_report, tmp_path)
    for r in range(2):
        for line in (tmp_path / f"rank{r}.txt").read_text().splitlines():  # asynchronous, then inline
            outcome, warned, seconds = line.split("|")
            assert outcome.startswith("error:") and "feedback differs" in outcome, outcome
            assert float(seconds) < 15


def test_a_forward_filter_observe_one_rank_skips_makes_every_rank_raise_at_once(
        two_ranks: list[dict[str, Any]]) -> None:
    for result in two_ranks:
        outcome, seconds = result["forward_skipped_observe"].split("|")
        assert outcome.startswith("RanksDisagree: the ranks' feedback differs"), outcome
        assert float(seconds) < 15


def test_assistant_options_that_differ_by_rank_are_refused_on_every_rank(two_ranks: list[dict[str, Any]]) -> None:
    for result in two_ranks:
        assert "must be the same on every rank" in result["options_per_rank"]
        assert "selector_settings" in result["options_per_rank"] and "base_prob" in result["options_per_rank"]


def test_a_seed_per_rank_is_refused_on_every_rank(tmp_path: Path) -> None:
    _spawn(w.seed_per_rank, tmp_path)
    for r in range(2):
        assert (tmp_path / f"rank{r}.txt").read_text().startswith("error: seed must be the same on every rank")
