from __future__ import annotations

import json
from pathlib import Path

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
    assert (demo_dir / "demo.png").stat().st_size > 10_000


def test_plot_and_merge_read_the_json_alone(demo_dir: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plot", str(demo_dir)]) == 0
    assert "| budget | uniform |" in (demo_dir / "table.md").read_text()
    assert (demo_dir / "curves_budget.png").is_file()
    assert main(["merge", str(tmp_path / "merged"), str(demo_dir), str(demo_dir)]) == 0
    merged = json.loads((tmp_path / "merged" / "results.json").read_text())
    assert len(merged["runs"]) == 6 and merged["summary"]["rows"][0]["seeds"] == 2


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
    assert "method must be one of" in capsys.readouterr().err
    # every method is built on a placeholder dataset before the data is loaded: the last one's bad option
    # does not wait for the runs listed before it
    assert main(["bench", "image", "--methods", "uniform", "autoassist:base_prob=2", "--out", "unused"]) == 2
    assert "base_prob must be in [0, 1]; got 2.0" in capsys.readouterr().err
    assert main(["bench", "image", "--methods", "uniform", "infobatch:ratio=3", "--out", "unused"]) == 2
    assert "unexpected keyword argument 'ratio'" in capsys.readouterr().err
    assert main(["bench", "image", "--lr", "0", "--out", "unused"]) == 2
    assert "--lr must be > 0; got 0.0" in capsys.readouterr().err
    assert main(["bench", "image", "--clip-grad-norm", "-1", "--out", "unused"]) == 2
    assert "--clip-grad-norm must be >= 0; got -1.0" in capsys.readouterr().err
    assert main(["demo", "--lr", "0", "--out", "unused"]) == 2   # the demo checks before it creates --out
    assert "--lr must be > 0; got 0.0" in capsys.readouterr().err
    assert not Path("unused").exists()
