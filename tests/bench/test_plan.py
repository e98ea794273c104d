"""The shared benchmark loop (bench/harness.py) and run steps (bench/steps.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from autoassist._errors import ParameterError
from autoassist.bench.harness import (Interrupted, PlannedRun, Progress, check_planned_once, check_resume, finished_key,
                                     mark_target, plan_runs, run_planned)
from autoassist.bench.methods import parse_method


def test_plan_order_is_protocol_fraction_seed_method_and_passes_runs_are_whole() -> None:
    plan = plan_runs(["uniform", "infobatch"], [0, 1], [1.0, 0.5], ["budget", "passes"],
                     skip=lambda protocol, spec: protocol == "budget" and spec == "infobatch")
    assert [(r.protocol, r.fraction, r.seed, r.spec) for r in plan] == [
        ("budget", 1.0, 0, "uniform"), ("budget", 1.0, 1, "uniform"),
        ("budget", 0.5, 0, "uniform"), ("budget", 0.5, 1, "uniform"),
        ("passes", 1.0, 0, "uniform"), ("passes", 1.0, 0, "infobatch"),
        ("passes", 1.0, 1, "uniform"), ("passes", 1.0, 1, "infobatch")]


def test_a_repeated_seed_or_method_is_refused_by_its_flag_not_planned_twice() -> None:
    # check_resume asks this before any data is read; plan_runs, later, does not ask again
    with pytest.raises(ParameterError, match="--seeds must be values without repeats .*; got 0 1 0. Give 0 once."):
        check_planned_once({"methods": ["uniform"], "seeds": [0, 1, 0]})
    with pytest.raises(ParameterError, match="--methods must be values without repeats .*; got uniform uniform"):
        check_planned_once({"methods": ["uniform", "uniform"], "seeds": [0]})


@pytest.mark.parametrize("methods", [["random:keep_rate=0.5", "random:keep_rate=.5"], ["uniform", "uniform:"],
                                     ["autoassist:lr=0.1,base_prob=0.5", "autoassist:base_prob=0.5,lr=0.1"]])
def test_a_method_written_two_ways_is_one_method(methods: list[str]) -> None:
    with pytest.raises(ParameterError, match="--methods must be values without repeats .* written another way"):
        check_planned_once({"methods": methods, "seeds": [0]})
    check_planned_once({"methods": [methods[0], "random:keep_rate=0.25"], "seeds": [0]})


def test_a_method_option_given_twice_is_refused() -> None:
    with pytest.raises(ParameterError, match="--methods must be options with each key once; got random:keep_rate=0.5,keep_rate=0.9. "
                                             "Give keep_rate= once."):
        parse_method("random:keep_rate=0.5,keep_rate=0.9")


def test_a_record_without_protocol_or_fraction_matches_its_budget_run() -> None:
    assert finished_key({"method": "uniform", "seed": 0}) == PlannedRun("uniform", 0).key
    assert finished_key({"method": "a", "seed": 1, "fraction": 0.5}) == PlannedRun("a", 1, 0.5).key


class _Fake:
    def __init__(self, interrupt_at: int | None = None) -> None:
        self.trained: list[PlannedRun] = []
        self.interrupt_at = interrupt_at   # Ctrl-C while training this run (1: the first)

    def label(self, run: PlannedRun) -> str:
        return run.spec

    def total_steps(self, run: PlannedRun) -> int | None:
        return 2

    def train(self, run: PlannedRun, results: dict[str, Any], progress: Progress) -> dict[str, Any]:
        if len(self.trained) + 1 == self.interrupt_at:
            raise KeyboardInterrupt
        self.trained.append(run)
        progress(2, 2)
        return {"method": run.spec, "seed": run.seed, "fraction": run.fraction, "finished_before": len(results["runs"])}

    def outcome(self, record: dict[str, Any]) -> str:
        return "ok"


def _fresh() -> dict[str, Any]:
    """A benchmark's results before its first run (run_planned writes them as results.json)."""
    return {"config": {"dataset": "fake"}, "runs": []}


def _finalize(results: dict[str, Any]) -> None:
    results["summary"] = len(results["runs"])


def _kept(path: Path) -> dict[str, Any] | None:
    """What a resumed command keeps of ``path`` (check_resume reads the file once and hands it on)."""
    return check_resume(path, _fresh()["config"], resume=True, log=lambda line: None)


def test_resume_keeps_finished_runs_and_trains_only_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    lines: list[str] = []
    first = _Fake()
    run_planned(first, plan_runs(["a"], [0], [1.0]), _fresh(), path, _finalize, log=lines.append)
    assert json.loads(path.read_text())["summary"] == 1 and lines == ["[1/1] a: ok"]
    second = _Fake()
    results = run_planned(second, plan_runs(["a", "b"], [0], [1.0]), _fresh(), path, _finalize, kept=_kept(path),
                          log=lines.append)
    assert [r.spec for r in second.trained] == ["b"] and results["runs"][1]["finished_before"] == 1
    assert json.loads(path.read_text())["summary"] == 2


def test_ctrl_c_says_how_many_finished_runs_the_file_holds_and_resume_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    plan = plan_runs(["a", "b", "c"], [0], [1.0])
    with pytest.raises(Interrupted, match=f"^interrupted before the first run finished; this command wrote nothing "
                                          f"to {path}$"):
        run_planned(_Fake(interrupt_at=1), plan, _fresh(), path, _finalize, log=lambda line: None)
    assert not path.exists()
    with pytest.raises(Interrupted, match=f"^interrupted; the finished runs \\(2\\) are in {path}: rerun the same "
                                          "command with --resume$"):
        run_planned(_Fake(interrupt_at=3), plan, _fresh(), path, _finalize, log=lambda line: None)
    assert [r["method"] for r in json.loads(path.read_text())["runs"]] == ["a", "b"]
    with pytest.raises(Interrupted, match=r"the finished runs \(2\) are in"):   # kept, though none finished now
        run_planned(_Fake(interrupt_at=1), plan, _fresh(), path, _finalize, kept=_kept(path), log=lambda line: None)
    rest = _Fake()
    run_planned(rest, plan, _fresh(), path, _finalize, kept=_kept(path), log=lambda line: None)
    assert [r.spec for r in rest.trained] == ["c"]


def test_resume_refuses_a_file_that_is_not_results_before_training(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text("[1, 2]")
    with pytest.raises(ParameterError, match="--out must be .*; got .*results.json, which holds an array"):
        _kept(path)
    assert path.read_text() == "[1, 2]"


def test_mark_target_records_first_and_staying_times() -> None:
    runs: list[dict[str, Any]] = [{"curves": {"val_bleu": [1.0, 5.0, 3.0, 6.0], "wall_time_s": [0.0, 1.0, 2.0, 3.0]}}]
    mark_target(runs, 4.0, name="target_bleu", metric="val_bleu", stay=True)
    assert runs[0]["target_bleu"] == 4.0 and runs[0]["time_to_target_s"] == 1.0 and runs[0]["time_to_stay_s"] == 3.0
    mark_target(runs, None, name="target_accuracy", metric="val_bleu")
    assert runs[0]["time_to_target_s"] is None and runs[0]["target_accuracy"] is None


class _Assist:
    def __init__(self) -> None:
        self.waited = 0.0

    def stats(self) -> dict[str, Any]:
        self.waited += 0.5  # each call: the Boss waited another half second
        return {"wait_seconds": self.waited}


def test_timed_batches_walk_pass_after_pass_and_split_the_fetch_time() -> None:
    from itertools import islice

    from autoassist.bench.steps import timed_batches

    timers = {"selection": 0.0, "data": 0.0}
    loader = [(0, "a"), (1, "b")]
    got = list(islice(timed_batches(_Assist(), loader, str.upper, timers), 5))
    assert [(idx, batch) for idx, batch, _ in got] == [(0, "A"), (1, "B"), (0, "A"), (1, "B"), (0, "A")]
    assert timers["selection"] == 5 * 0.5
    assert timers["data"] == pytest.approx(sum(seconds for _, _, seconds in got) - timers["selection"])


def test_step_summary_flags_a_loss_above_one_and_a_half_times_the_first() -> None:
    from autoassist.bench.steps import step_summary

    calm = step_summary([0.001, 0.003, 0.002], [2.0, 1.0, 2.9])
    assert calm == {"boss_step_median_ms": pytest.approx(2.0), "first_train_loss": 2.0, "max_train_loss": 2.9,
                    "spiked": False}
    assert step_summary([], [2.0, 3.1])["spiked"] is True
    assert step_summary([], []) == {"boss_step_median_ms": None, "first_train_loss": None, "max_train_loss": None,
                                    "spiked": False}


def test_a_resumed_file_names_the_machines_and_commits_its_kept_runs_were_timed_on(tmp_path: Path) -> None:
    """The file held only the last session's hardware and commit, though its runs may have been timed elsewhere."""
    path = tmp_path / "results.json"
    here = {"git_commit": "abc", "cpu": "A", "load_average_1min": 0.5}
    run_planned(_Fake(), plan_runs(["a"], [0], [1.0]), {**_fresh(), "hardware": here}, path, _finalize,
                log=lambda line: None)
    busier = {**here, "load_average_1min": 1.9}   # the same machine and code, busier: the same session's kind
    run_planned(_Fake(), plan_runs(["a", "b"], [0], [1.0]), {**_fresh(), "hardware": busier}, path, _finalize,
                kept=_kept(path), log=lambda line: None)
    assert "earlier_sessions" not in json.loads(path.read_text())
    later = {**here, "git_commit": "def"}
    run_planned(_Fake(), plan_runs(["a", "b", "c"], [0], [1.0]), {**_fresh(), "hardware": later}, path, _finalize,
                kept=_kept(path), log=lambda line: None)
    saved = json.loads(path.read_text())
    assert saved["hardware"]["git_commit"] == "def" and saved["earlier_sessions"] == [busier]
