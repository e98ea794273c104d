"""`autoassist demo` / `bench image` options a new user got wrong: each refused by its flag before --out exists."""

from __future__ import annotations

import argparse
import inspect
from pathlib import Path

import pytest

from autoassist.bench import demo
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


def test_the_demo_says_each_tasks_default_through_argparses_public_api() -> None:
    parser = argparse.ArgumentParser()
    demo.configure(parser)
    assert "._actions" not in inspect.getsource(demo)   # the help written when each argument is added
    assert parser.get_default("image_defaults") == {
        "dataset": "mnist1d", "data_dir": None, "model": None, "epochs": None, "batch_size": 128, "lr": None,
        "schedule": "cosine", "warmup_fraction": 0.02, "clip_grad_norm": 5.0, "weight_decay": 5e-4, "tolerance": 0.2,
        "eval_points": 12, "threads": 0}
    assert all(parser.get_default(dest) is None for dest in parser.get_default("image_defaults"))
    text = " ".join(parser.format_help().split())
    for said in ("(image only; default: mnist1d)", "(default: image the dataset's (mnist1d 30); translation 7)",
                 "test evaluations along each run (default: image 12; translation 6)",
                 "(default: image 0 (all cores); translation 1)", "clip the gradient norm of every Boss step (0: off) "
                 "(image only; default: 5.0)", "folder with the dataset's files (not needed for mnist1d; default: "
                 "none) (image only)"):
        assert said in text
