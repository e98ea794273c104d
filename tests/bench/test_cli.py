from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from autoassist.cli import main


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--epochs", "2", "--limit-train", "300", "--eval-points", "3", "--out", str(out)]) == 0
    return out


def test_demo_writes_results_and_plot(demo_dir: Path) -> None:
    results = json.loads((demo_dir / "results.json").read_text())
    assert set(results["methods"]) == {"uniform", "autoassist", "autoassist:assistant=paper"}
    for entry in results["methods"].values():
        for key in ("final_test_accuracy", "wall_time_s", "boss_steps", "backprop_instances", "time_to_target_s",
                    "curves", "config", "hardware"):
            assert key in entry
    steps = {m["boss_steps"] for m in results["methods"].values()}
    assert len(steps) == 1  # same number of Boss steps for both
    assert results["config"]["tolerance"] == 0.0 and results["config"]["batch_size"] == 128  # the image demo's
    assert (demo_dir / "demo.png").stat().st_size > 10_000


def test_plot_and_merge_read_the_json_alone(demo_dir: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plot", str(demo_dir)]) == 0
    assert "| budget | uniform |" in (demo_dir / "table.md").read_text()
    assert (demo_dir / "curves_budget.png").is_file()
    other_seed = _with_seed(demo_dir, tmp_path / "seed1", 1)
    assert main(["merge", str(tmp_path / "merged"), str(demo_dir), str(other_seed)]) == 0
    merged = json.loads((tmp_path / "merged" / "results.json").read_text())
    assert len(merged["runs"]) == 6 and merged["summary"]["rows"][0]["seeds"] == 2
    capsys.readouterr()
    # the same folder twice would count each run as two seeds: refused, and OUT is not written
    assert main(["merge", str(tmp_path / "twice"), str(demo_dir), str(demo_dir)]) == 2
    assert "(one folder given twice)" in capsys.readouterr().err and not (tmp_path / "twice").exists()


def _with_seed(source: Path, folder: Path, seed: int) -> Path:
    """A copy of ``source``'s results whose runs are relabelled as seed ``seed`` (another part to merge)."""
    results = json.loads((source / "results.json").read_text())
    for run in results["runs"]:
        run["seed"] = seed
    results["config"]["seeds"] = [seed]
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps(results))
    return folder


def test_merge_checks_every_part_and_out_before_writing(demo_dir: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    svm = tmp_path / "svm"
    svm.mkdir()
    (svm / "results.json").write_text(json.dumps({"config": {"sv_tolerance": 1e-6}, "hardware": {},
                                                  "runs": [{"lambda": 0.1, "methods": {}}]}))
    assert main(["merge", str(tmp_path / "m1"), str(demo_dir), str(svm)]) == 2
    assert "holds results of `autoassist bench svm`" in capsys.readouterr().err
    assert not (tmp_path / "m1").exists()
    afile = tmp_path / "afile"
    afile.write_text("kept")
    assert main(["merge", str(afile), str(demo_dir), str(_with_seed(demo_dir, tmp_path / "s1", 1))]) == 2
    assert f"OUT must be a folder this user can create and write; got {afile} (" in capsys.readouterr().err
    assert afile.read_text() == "kept"


def test_merge_help_lists_exactly_what_may_differ(capsys: pytest.CaptureFixture[str]) -> None:
    from autoassist.bench.report import MERGE_MAY_DIFFER

    assert main(["merge", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "only the " + ", ".join(MERGE_MAY_DIFFER[:-1]) + f" and {MERGE_MAY_DIFFER[-1]} of their configs" in text


def test_plot_sends_svm_results_to_the_svm_plots_and_refuses_bad_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    import autoassist.bench.svm_plots as svm_plots

    calls: list[str] = []
    monkeypatch.setattr(svm_plots, "plot_svm", lambda out: calls.append(str(out)) or [Path(out) / "svm.png"])
    (tmp_path / "results.json").write_text(json.dumps({"config": {"n_train": 3}, "runs": [{"lambda": 0.1,
                                                                                          "methods": {}}]}))
    assert main(["plot", str(tmp_path)]) == 0
    assert calls == [str(tmp_path)] and "svm.png" in capsys.readouterr().out
    (tmp_path / "results.json").write_text("{")
    assert main(["plot", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("autoassist: error: DIR must be") and f"{tmp_path / 'results.json'}, which is not JSON" in err


def test_results_json_autoassist_did_not_write_stops_demo_before_it_runs(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "results.json").write_text("not json")
    for resume in ([], ["--resume"]):
        assert main(["demo", "--epochs", "1", "--limit-train", "300", "--out", str(tmp_path), *resume]) == 2
        err = capsys.readouterr().err
        assert f"--out must be a folder without results.json or with one an autoassist benchmark wrote; got " \
               f"{tmp_path / 'results.json'}, which is not JSON" in err and "[1/3]" not in err
    assert (tmp_path / "results.json").read_text() == "not json"


def test_a_repeated_seed_is_refused_not_trained_twice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--seeds", "0", "0", "--out", str(tmp_path / "d")]) == 2
    assert "--seeds must be values without repeats (each run is planned once); got 0 0" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()


class _Fake:
    """Two tiny runs; Ctrl-C while the second trains."""

    def label(self, run: Any) -> str:
        return run.spec

    def total_steps(self, run: Any) -> int | None:
        return None

    def train(self, run: Any, results: dict[str, Any], progress: Any) -> dict[str, Any]:
        if results["runs"]:
            raise KeyboardInterrupt
        return {"method": run.spec, "seed": run.seed}

    def outcome(self, record: dict[str, Any]) -> str:
        return "ok"


def test_ctrl_c_ends_a_benchmark_with_one_line_and_status_130(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    import autoassist.bench.demo as demo
    from autoassist.bench.harness import plan_runs, run_planned

    def fake_run(args: argparse.Namespace) -> int:
        run_planned(_Fake(), plan_runs(["a", "b"], [0], [1.0]), {"config": {"dataset": "fake"}, "runs": []},
                    Path(args.out) / "results.json", lambda results: None, log=lambda line: None)
        return 0

    monkeypatch.setattr(demo, "run", fake_run)
    assert main(["demo", "--out", str(tmp_path)]) == 130
    assert capsys.readouterr().err == (f"autoassist: interrupted; the finished runs (1) are in "
                                       f"{tmp_path / 'results.json'}: rerun the same command with --resume\n")

    def interrupted_elsewhere(args: argparse.Namespace) -> int:
        raise KeyboardInterrupt   # e.g. while the plots are drawn, after the runs

    monkeypatch.setattr(demo, "run", interrupted_elsewhere)
    assert main(["demo", "--out", str(tmp_path)]) == 130
    assert capsys.readouterr().err == (f"autoassist: interrupted; the finished runs are in {tmp_path / 'results.json'}"
                                       ": rerun the same command with --resume\n")


def test_bad_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert main(["bench"]) == 2
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().err


@pytest.mark.parametrize("command", [[], ["demo"], ["bench"], ["bench", "image"], ["bench", "svm"], ["bench", "translate"], ["plot"],
                                     ["merge"]])
def test_every_help_exits_0(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: autoassist")
    if command == ["bench", "image"]:
        for name in ("uniform", "autoassist", "infobatch", "selective_backprop", "importance", "oracle", "random"):
            assert name in out
        assert "(default: 128)" in out
    if command == ["bench", "translate"]:
        for name in ("uniform", "autoassist:assistant=paper", "autoassist:assistant=loss-history",
                     "random:keep_rate=auto", "infobatch", "importance", "--src", "--tgt", "--data-dir"):
            assert name in out
    if command == ["demo"]:
        assert "--task" in out and "translation" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from autoassist import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"autoassist {__version__}"


def test_unwritable_out_is_caught_before_the_first_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["demo", "--epochs", "1", "--limit-train", "300", "--out", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert "--out must be a folder this user can create and write" in err and "[1/3]" not in err


def test_bad_input_is_one_clear_line_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--dataset", "fashion-mnist"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("autoassist: error: data_dir must be given") and "--data-dir" in err
    assert main(["bench", "image", "--methods", "magic", "--out", "unused"]) == 2
    assert "--methods must be each one of" in capsys.readouterr().err
    # every method is built on a placeholder dataset before the data is loaded: the last one's bad option
    # does not wait for the runs listed before it
    assert main(["bench", "image", "--methods", "uniform", "autoassist:base_prob=2", "--out", "unused"]) == 2
    assert "base_prob must be in [0, 1]; got 2.0" in capsys.readouterr().err
    assert main(["bench", "image", "--methods", "autoassist:assistant=nope", "--out", "unused"]) == 2
    assert "--methods must be autoassist:assistant=<loss-history|paper|loss-only>; got autoassist:assistant=nope" \
        in capsys.readouterr().err
    assert main(["bench", "image", "--methods", "uniform", "infobatch:ratio=3", "--out", "unused"]) == 2
    assert "unexpected keyword argument 'ratio'" in capsys.readouterr().err
    assert main(["bench", "image", "--lr", "0", "--out", "unused"]) == 2
    assert "--lr must be > 0; got 0.0" in capsys.readouterr().err
    assert main(["bench", "image", "--clip-grad-norm", "-1", "--out", "unused"]) == 2
    assert "--clip-grad-norm must be >= 0; got -1.0" in capsys.readouterr().err
    # the translation demo's options with --task image (the default) were ignored: the image demo ran
    assert main(["demo", "--max-tokens", "5", "--synthetic-train", "3", "--beam-size", "0", "--out", "unused"]) == 2
    assert ("--synthetic-train must be left out with --task image (it sets the translation demo); got 3. Pass --task "
            "translation to run the translation demo, or drop --synthetic-train, --max-tokens, --beam-size.") in \
        capsys.readouterr().err
    assert main(["demo", "--lr", "0", "--out", "unused"]) == 2   # the demo checks before it creates --out
    assert "--lr must be > 0; got 0.0" in capsys.readouterr().err
    assert not Path("unused").exists()
