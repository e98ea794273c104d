"""`autoassist demo` / `bench image` options a new user got wrong: each refused by its flag before --out exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from autoassist.cli import main


@pytest.mark.parametrize(("argv", "message"), [
    (["--seeds", "-1"], "--seeds must be >= 0; got -1"),
    (["--model", "foo"], "--model must be one of cnn, conv1d, mlp, resnet20"),
    (["--model", "cnn:width=abc"], "--model cnn:width must be an integer"),
    (["--model", "cnn:depth=3"], "--model must be options among ['width'] for cnn"),
    (["--model", "resnet20"], "--model must be a model for mnist1d's inputs of shape (1, 40)"),
    (["--limit-train", "50"], "--batch-size must be at most the training instances (50); got 128"),
])
def test_demo_options_are_refused_by_their_flag_before_out_exists(argv: list[str], message: str, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--epochs", "0.01", *argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_method_that_runs_in_no_chosen_protocol_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "image", "--methods", "uniform", "infobatch", "--protocols", "budget",
                 "--out", str(tmp_path / "out")]) == 2
    assert "InfoBatch prunes whole passes" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("flag", [["--batch-size", "64"], ["--weight-decay", "0"], ["--dataset", "mnist1d"],
                                  ["--schedule", "constant"], ["--model", "cnn"]])
def test_the_translation_demo_refuses_the_image_demos_options(flag: list[str], tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--task", "translation", *flag, "--out", str(tmp_path / "out")]) == 2
    assert f"{flag[0]} must be left out with --task translation" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
