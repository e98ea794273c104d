"""The SVM benchmark's bookkeeping and command line (fast) and one end-to-end run on a tiny file (slow)."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import dump_svmlight_file

from autoassist._errors import ParameterError
from autoassist.bench import svm, svm_interleave
from autoassist.bench.hardware import hardware_info
from autoassist.bench.svm import _median, add_ratios, reach, stay, warm_up_rows

CURVE = {"objective": [2.0, 1.2, 1.005, 1.02, 1.0005, 1.008, 1.0004], "updates": [0, 10, 20, 30, 40, 50, 60]}


def test_reach_takes_the_first_pass_under_the_target() -> None:
    assert reach(CURVE, 1.0, 1e-2, "updates") == 20
    assert reach(CURVE, 1.0, 1e-3, "updates") == 40
    assert reach(CURVE, 1.0, 1e-4, "updates") is None


def test_stay_takes_the_pass_from_which_it_stays_under_the_target() -> None:
    assert stay(CURVE, 1.0, 1e-2, "updates") == 40  # below at 20, above again at 30
    assert stay(CURVE, 1.0, 1e-3, "updates") == 60  # below at 40, above at 50
    assert stay(CURVE, 1.0, 1e-4, "updates") is None
    assert stay(dict(CURVE, objective=CURVE["objective"][:-1] + [1.5]), 1.0, 1e-2, "updates") is None  # ends above


def test_median_counts_unreached_seeds_as_infinite() -> None:
    assert _median([1.0, 3.0, None]) == 3.0
    assert _median([1.0, None, None]) is None


def test_ratios_to_the_baseline_and_to_the_support_vector_limit() -> None:
    def method(updates: float | None, seconds: float | None, average: bool = False) -> dict:
        m: dict = {"params": {"average": average}}
        for label in ("1e-2", "1e-3"):
            m.update({f"updates_to_stay_{label}": updates, f"margins_to_stay_{label}": updates,
                      f"seconds_to_stay_{label}": seconds})
        return m

    entry = {"sv_fraction": 0.25, "methods": {"uniform": method(100.0, 2.0), "shrinking": method(40.0, 1.0),
                                              "uniform-avg": method(80.0, 2.0, True), "shrinking-avg": method(None, None, True)}}
    add_ratios(entry)
    shrinking = entry["methods"]["shrinking"]
    assert shrinking["updates_to_stay_1e-2_vs_baseline"] == pytest.approx(0.4)
    assert shrinking["updates_to_stay_1e-2_vs_limit"] == pytest.approx(1.6)  # 40 / (0.25 * 100)
    assert shrinking["seconds_to_stay_1e-2_vs_baseline"] == pytest.approx(0.5)
    assert entry["methods"]["shrinking-avg"]["baseline"] == "uniform-avg"
    assert entry["methods"]["shrinking-avg"]["updates_to_stay_1e-2_vs_baseline"] is None


def test_warm_up_works_on_a_label_sorted_file(tmp_path: Path) -> None:
    """Many LIBSVM files are sorted by label: the warm-up used their first 50 rows, all one class, and crashed."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = np.r_[-np.ones(100), np.ones(20)]
    rows = warm_up_rows(y)
    assert set(y[rows]) == {-1.0, 1.0} and len(rows) == 50 and len(set(rows)) == 50
    rare = np.r_[-np.ones(1000), np.ones(1)]
    assert set(rare[warm_up_rows(rare)]) == {-1.0, 1.0}  # one positive in 1001 rows
    dump_svmlight_file(X, y, str(tmp_path / "sorted.svm"))
    dump_svmlight_file(X[:10], y[:10], str(tmp_path / "test.svm"))
    # with --test the training rows keep their file order (no held-out shuffle)
    args = _args(tmp_path, data=str(tmp_path / "sorted.svm"), test=str(tmp_path / "test.svm"),
                 methods=["uniform", "shrinking-avg"])
    Xs, ys, _, _ = svm._split(args)
    assert set(ys[:50]) == {-1.0}
    svm._warm_up(Xs, ys, 0.01, svm._methods(args))  # raised "exactly two classes ... 1 class" before


@pytest.fixture
def no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """A check that should refuse the command before any training fails the test at once if training starts."""
    def trained(*args: object, **kwargs: object) -> None:
        raise AssertionError("training started: the options were not refused first")

    for name in ("_warm_up", "_optimum", "_ours", "_sklearn"):
        monkeypatch.setattr(svm, name, trained)


def _args(tmp_path: Path, **overrides: object) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    svm.configure(parser)
    args = parser.parse_args(["--data", "x", "--out", str(tmp_path / "out")])
    for key, value in overrides.items():
        setattr(args, key, value)
    return args


class _RecordingParser(argparse.ArgumentParser):
    """Records the help of every argument added (the public add_argument, not argparse's private list)."""

    def __init__(self, **kwargs: Any) -> None:
        self.helps: dict[str, str | None] = {}  # before argparse's own -h is added
        super().__init__(**kwargs)

    def add_argument(self, *names: Any, **kwargs: Any) -> Any:
        self.helps[names[0]] = kwargs.get("help")
        return super().add_argument(*names, **kwargs)


def test_configure_documents_every_argument() -> None:
    parser = _RecordingParser(formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    svm.configure(parser)
    assert len(parser.helps) > 5 and all(parser.helps.values()), parser.helps
    assert "(default: 100)" in parser.format_help()


def test_missing_data_is_one_clear_error_before_any_run(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="--data must be an existing LIBSVM/svmlight file; got .*nowhere.svm"):
        svm.main(["--data", str(tmp_path / "nowhere.svm"), "--out", str(tmp_path / "out")])
    assert not (tmp_path / "out" / "results.json").exists()


def test_unwritable_out_is_one_clear_error_before_any_run(tmp_path: Path) -> None:
    data = tmp_path / "tiny.svm"
    dump_svmlight_file(np.eye(4), [0, 1, 0, 1], str(data))
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(ParameterError, match="--out must be a folder this user can create and write"):
        svm.main(["--data", str(data), "--out", str(tmp_path / "file" / "out")])


@pytest.mark.parametrize(("argv", "message"), [
    (["--n-features", "0"], "--n-features must be >= 1; got 0"),
    (["--n-features", "2"], "--n-features must be at least the largest feature index in the files; got 2"),
    (["--lambda", "1e-3", "-1"], "--lambda must be > 0; got -1.0"),
    (["--methods", "magic"], "--methods must be names from"),
    (["--methods", "magic"], "; got magic. Leave --methods out to run the default methods"),
    (["--seeds", "0", "-1"], "--seeds must be >= 0; got -1. Seeds are non-negative integers"),
    (["--seeds", "4294967296"], "--seeds must be at most 2**32 - 1 = 4294967295 (scikit-learn's random_state range); "
                                "got 4294967296. Choose smaller seeds"),
    (["--lambda", "1e-3", "1e-3"], "--lambda must be values without repeats, each distinct at 7 significant digits "
                                   "(results.json's precision); got 0.001 0.001. Give 0.001 once."),
    (["--lambda", "1e-3", "1.00000001e-3"], "--lambda must be values without repeats, each distinct at 7 significant "
                                            "digits (results.json's precision); got 0.001 0.00100000001. Give 0.001 once."),
    (["--out", ""], "--out must be a folder path; got ''. Give the folder for the results, e.g. --out runs/svm."),
    (["--passes", "0"], "--passes must be >= 1; got 0. It is the passes over the training data per run"),
    (["--test-fraction", "1.5"], "--test-fraction must be in (0, 1); got 1.5. It is the share of --data held out"),
    (["--test-fraction", "0.999"], "--test-fraction must be a share that leaves both labels in the training part; "
                                   "got 0.999, which leaves 0 instances, 0 labels to train on. Hold out another share"),
    (["--seeds", "0", "1", "0"], "--seeds must be values without repeats (each run is planned once); got 0 1 0. "
                                 "Give 0 once."),
    (["--methods", "uniform", "shrinking", "uniform"], "--methods must be values without repeats (each run is "
                                                       "planned once); got uniform shrinking uniform. Give uniform once."),
])
def test_bad_options_are_one_clear_error_before_out_is_created(argv: list[str], message: str, tmp_path: Path,
                                                               no_training: None, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "tiny.svm"
    dump_svmlight_file(np.eye(4), [0, 1, 0, 1], str(data))
    monkeypatch.chdir(tmp_path)   # --out "" would be this folder
    with pytest.raises(ParameterError, match=re.escape(message)):
        svm.main(["--data", str(data), "--out", str(tmp_path / "out"), *argv])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.svm"]


@pytest.mark.parametrize(("files", "argv", "message"), [
    ({"data": "hello world\n"}, [],
     "--data must be a LIBSVM/svmlight file ('label index:value ...' per line); got {data}. The parser says: "
     "could not convert string to float: b'hello'."),
    ({"data": "1 1:1\n-1 2:1\n1 1:2\n-1 2:2\n1 1:3\n", "test": "hello world\n"}, ["--test", "{test}"],
     "--test must be a LIBSVM/svmlight file ('label index:value ...' per line); got {test}. The parser says"),
    ({"data": ""}, [], "--data must be a file of exactly two labels (binary classification); got 0 instances, "
                           "0 labels. Every method here is a binary SVM"),
    ({"data": "1 1:1\n-1 2:1\n2 1:3\n"}, [], "--data must be a file of exactly two labels (binary "
                                                  "classification); got 3 instances, 3 labels (-1.0, 1.0, 2.0)."),
    ({"data": "1 1:1\n-1 2:1\n"}, ["--test-fraction", "0.5"], "--test-fraction must be a share that leaves both labels in the training "
                                          "part; got 0.5, which leaves 1 instance, 1 label (1.0) to train on."),
    ({"data": "1 1:1\n-1 2:1\n1 1:2\n"}, ["--test-fraction", "0.1"],
     "--test-fraction must be large enough to hold out one of the 3 instances of --data; got 0.1."),
    ({"data": "1 1:1\n-1 2:1\n", "test": ""}, ["--test", "{test}"],
     "--test must be a file with at least one instance; got {test}."),
    ({"data": "1 1:1\n-1 2:1\n", "test": "1 1:1\n0 2:1\n"}, ["--test", "{test}"],
     "--test must be a file labelled as --data is (-1.0, 1.0); got {test}, labelled 0.0, 1.0 (0.0 not among --data's). "
     "Give the test file of --data's set, or relabel it to --data's labels."),
])
def test_bad_data_is_one_clear_error_before_out_is_created(files: dict[str, str], argv: list[str], message: str,
                                                           tmp_path: Path, no_training: None) -> None:
    """A file the parser refuses ended in its ValueError traceback; one it reads but no SVM can train on (one
    label, three, nothing to test on) created --out, compiled, then failed in the warm-up's fit."""
    paths = {name: str(tmp_path / f"{name}.svm") for name in files}
    for name, text in files.items():
        Path(paths[name]).write_text(text)
    with pytest.raises(ParameterError) as error:
        svm.main(["--data", paths["data"], *[a.format(**paths) for a in argv], "--out", str(tmp_path / "out")])
    assert message.format(**paths) in str(error.value)
    assert not (tmp_path / "out").exists()


def test_a_test_file_with_more_features_than_the_training_file_loads(tmp_path: Path) -> None:
    # LIBSVM test files often name a feature the training file never does; both are read at the larger width
    dump_svmlight_file(np.eye(3), [0, 1, 0], str(tmp_path / "train.svm"))
    dump_svmlight_file(np.eye(5)[3:], [0, 1], str(tmp_path / "test.svm"))
    X, y, Xt, yt = svm._split(_args(tmp_path, data=str(tmp_path / "train.svm"), test=str(tmp_path / "test.svm"),
                                    n_features=None))
    assert X.shape == (3, 5) and Xt.shape == (2, 5)


def test_unknown_method_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="--methods must be names from"):
        svm._methods(_args(tmp_path, methods=["uniform", "magic"]))


def test_hardware_info_has_the_basics() -> None:
    info = hardware_info()
    assert {"platform", "python", "cpu", "cpu_count", "load_average_1min"} <= set(info)
    assert info["load_average_1min"] >= 0.0


def test_svm_table_says_how_busy_the_machine_was() -> None:
    from autoassist.bench.svm_plots import _load

    assert _load({"hardware": {"load_average_1min": 0.31}}) == "1-minute load average 0.31 at the start"
    assert _load({"hardware": {}}) == "load not recorded"


@pytest.mark.slow
def test_bench_end_to_end_on_a_label_sorted_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6))
    y = np.where(X[:, 0] + 0.5 * rng.normal(size=300) > 0, 1, -1)
    order = np.argsort(y, kind="stable")
    dump_svmlight_file(X[order], y[order], str(tmp_path / "tiny.svm"))
    dump_svmlight_file(X[:60], y[:60], str(tmp_path / "test.svm"))
    assert svm.main(["--data", str(tmp_path / "tiny.svm"), "--test", str(tmp_path / "test.svm"), "--passes", "3",
                     "--seeds", "0", "1", "--out", str(tmp_path / "out")]) == 0
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert {"version", "git_commit", "hardware"} <= set(results)
    run = results["runs"][0]
    assert 0.0 < run["sv_fraction"] <= 1.0
    entry = run["methods"]["shrinking"]
    assert {"updates_to_1e-2", "updates_to_stay_1e-2", "updates_to_stay_1e-3", "seconds_to_stay_1e-2",
            "passes_to_stay_1e-2", "margins_to_stay_1e-2", "updates_to_stay_1e-2_vs_limit"} <= set(entry)
    assert "objective_last_iterate" in run["methods"]["shrinking-avg"]["curves"][0]
    assert (tmp_path / "out" / "table.md").exists() and list((tmp_path / "out").glob("*.png"))


def test_goals_table_reads_the_stay_measures() -> None:
    from autoassist.bench.svm_plots import goals

    def method(updates: float | None, seconds: float | None, baseline: str = "uniform") -> dict:
        return {"updates_to_stay_1e-2": updates, "seconds_to_stay_1e-2": seconds, "baseline": baseline}

    results = {"runs": [{"sv_fraction": 0.2, "methods": {
        "uniform": method(100.0, 10.0), "uniform-avg": method(60.0, 8.0, "uniform-avg"),
        "shrinking": method(45.0, 6.0), "shrinking-avg": method(40.0, 7.5, "uniform-avg"),
        "shrinking-fast": method(25.0, 5.0),
        "sklearn-sgd": method(None, None), "sklearn-sgd-avg": method(100.0, 7.0)}}]}
    rows = [line for line in goals(results).splitlines() if line.startswith("| shrinking")]
    results["runs"][0]["methods"]["uniform-avg-p15"] = method(50.0, 7.0, "uniform-avg")  # a better-tuned uniform
    results["runs"][0]["methods"]["uniform-sg-avg"] = method(10.0, 1.0, "uniform-avg")  # another method: not a yardstick
    tuned = [line for line in goals(results).splitlines() if line.startswith("| shrinking-fast")]
    assert tuned == ["| shrinking-fast | 0.25x | 0.42x | 0.50x | 0.50x | yes | 0.50x | 0.62x | 0.71x | **no** | 0.71x | yes |"]
    # the yardstick is the better uniform: 60 updates (uniform-avg), 8 seconds (uniform-avg)
    assert rows[0] == "| shrinking | 0.45x | 0.75x | 0.75x | 0.50x | **no** | 0.60x | 0.75x | 0.75x | **no** | 0.86x | yes |"
    assert rows[2] == "| shrinking-fast | 0.25x | 0.42x | 0.42x | 0.50x | yes | 0.50x | 0.62x | 0.62x | yes | 0.71x | yes |"
    assert rows[1] == "| shrinking-avg | 0.40x | 0.67x | 0.67x | 0.50x | **no** | 0.75x | 0.94x | 0.94x | **no** | 1.07x | **no** |"


def test_interleaved_seconds_report_a_ratio_per_method(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    dump_svmlight_file(X, np.where(X[:, 0] > 0, 1, -1), str(tmp_path / "small.svm"))
    assert svm_interleave.main(["--data", str(tmp_path / "small.svm"), "--methods", "uniform-avg", "shrinking-avg",
                                "--passes", "3", "4", "--seeds", "0"]) == 0
    out = capsys.readouterr().out
    assert "this/shrinking-avg" in out and "this: shrinking-avg / uniform-avg seconds" in out


def test_interleave_reads_each_methods_passes_from_a_bench_folder(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    dump_svmlight_file(X, np.where(X[:, 0] > 0, 1, -1), str(tmp_path / "small.svm"))
    methods = {"uniform-avg": {"passes_to_stay_1e-2": 3.0}, "shrinking-avg": {"passes_to_stay_1e-2": 2.0},
               "uniform": {"passes_to_stay_1e-2": None}}
    (tmp_path / "results.json").write_text(json.dumps({"runs": [{"methods": methods}]}))
    args = ["--data", str(tmp_path / "small.svm"), "--seeds", "0", "--passes-from", str(tmp_path), "--methods"]
    assert svm_interleave.main([*args, "uniform-avg", "shrinking-avg"]) == 0
    assert "uniform-avg 3, shrinking-avg 2" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        svm_interleave.main([*args, "uniform-avg", "uniform"])
    assert "uniform has no passes to stay below 1e-2" in capsys.readouterr().err


# ------------------------------------------------------------------ --out, interruption and --resume (fake runs)
class _FakeRuns:
    """Stands in for the solvers: a deterministic curve per (method, seed), the calls recorded; ``stop_at`` raises
    KeyboardInterrupt (Ctrl-C) as that call starts."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.calls: list[tuple[str, int]] = []
        self.stop_at = stop_at

    def ours(self, params: dict, X: Any, y: Any, Xt: Any, yt: Any, lam: float, passes: int, seed: int,
             sv_mask: Any) -> dict[str, list]:
        name = f"{params.get('sampling')}/{params.get('shrinking')}"
        self.calls.append((name, seed))
        if self.stop_at is not None and len(self.calls) == self.stop_at:
            raise KeyboardInterrupt
        k = np.arange(passes + 1)
        return {"pass": k.tolist(), "visited": (40 * k).tolist(), "updates": (30 * k).tolist(),
                "margins": (40 * k).tolist(), "seconds": (0.01 * k).tolist(),
                "objective": (1.0 + 1.0 / (1 + k + seed)).tolist(), "test_accuracy": [None] + [0.5] * passes}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Fast bench svm runs: fake solvers, no warm-up, table.md written from results.json without the PNGs."""
    from autoassist.bench import svm_plots

    runs = _FakeRuns()
    monkeypatch.setattr(svm, "_ours", lambda *args: runs.ours(*args))
    monkeypatch.setattr(svm, "_warm_up", lambda *args: None)

    def plot(out: Path) -> list[Path]:
        (Path(out) / "table.md").write_text(svm_plots.table(json.loads((Path(out) / "results.json").read_text())))
        return []

    monkeypatch.setattr(svm_plots, "plot_svm", plot)
    return runs


def _tiny(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    dump_svmlight_file(X, np.where(X[:, 0] > 0, 1, -1), str(tmp_path / "tiny.svm"))
    return tmp_path / "tiny.svm"


def _bench(tmp_path: Path, *extra: str) -> list[str]:
    return ["--data", str(_tiny(tmp_path)), "--passes", "2", "--seeds", "0", "1", "--methods", "uniform", "shrinking",
            "--out", str(tmp_path / "out"), *extra]


@pytest.mark.parametrize(("text", "problem"), [
    ("not json", r"which is not JSON \(Expecting value"),
    (json.dumps({"config": {"dataset": "mnist1d"}, "runs": [{"method": "uniform", "seed": 0}]}),
     r"which holds results of `autoassist bench image` or `demo`"),
])
@pytest.mark.parametrize("resume", [[], ["--resume"]])
def test_an_out_holding_anything_but_svm_results_is_refused_before_anything_is_read(
        tmp_path: Path, text: str, problem: str, resume: list[str], no_training: None) -> None:
    (tmp_path / "out").mkdir()
    path = tmp_path / "out" / "results.json"
    path.write_text(text)
    with pytest.raises(ParameterError, match=r"--out must be a folder without results.json or with the results.json "
                                             rf"of an earlier `autoassist bench svm`; got {re.escape(str(path))}, "
                                             rf"{problem}.*\. Choose another --out, or delete that file"):
        svm.main(_bench(tmp_path, *resume))
    assert path.read_text() == text and sorted(p.name for p in path.parent.iterdir()) == ["results.json"]


def test_earlier_svm_results_are_replaced_and_the_log_says_so(tmp_path: Path, fake: _FakeRuns,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert svm.main(_bench(tmp_path)) == 0
    assert "holds the results of an earlier" not in capsys.readouterr().out
    assert svm.main(_bench(tmp_path, "--seeds", "3")) == 0
    path = tmp_path / "out" / "results.json"
    assert (f"{path} holds the results of an earlier `autoassist bench svm` (4 finished runs): this benchmark "
            "replaces them") in capsys.readouterr().out
    assert json.loads(path.read_text())["config"]["seeds"] == [3]


def test_results_record_the_command_line(tmp_path: Path, fake: _FakeRuns) -> None:
    from autoassist.cli import main as cli_main

    assert cli_main(["bench", "svm", *_bench(tmp_path, "--lambda", "0.01")]) == 0
    argv = json.loads((tmp_path / "out" / "results.json").read_text())["config"]["argv"]
    assert argv == ["bench", "svm", "--data", str(tmp_path / "tiny.svm"), "--test-fraction", "0.2", "--seeds", "0",
                    "1", "--passes", "2", "--lambda", "0.01", "--methods", "uniform", "shrinking", "--out",
                    str(tmp_path / "out")]
    assert cli_main(argv + ["--out", str(tmp_path / "again")]) == 0   # it runs the same benchmark again


def _interrupt(argv: list[str]) -> str:
    """bench svm's message for the fake Ctrl-C (caught here: a bare KeyboardInterrupt would end pytest)."""
    from autoassist.bench.harness import Interrupted

    try:
        svm.main(argv)
    except KeyboardInterrupt as error:
        assert isinstance(error, Interrupted), "Ctrl-C ended bench svm without saying where the finished runs are"
        return str(error)
    raise AssertionError("the fake Ctrl-C did not interrupt bench svm")


def test_results_are_written_after_every_run_and_resume_runs_only_the_others(tmp_path: Path, fake: _FakeRuns) -> None:
    path = tmp_path / "out" / "results.json"
    fake.stop_at = 1
    assert _interrupt(_bench(tmp_path)) == f"interrupted before the first run finished; this command wrote nothing to {path}"
    assert not path.exists()
    fake.calls, fake.stop_at = [], 2   # Ctrl-C in uniform's second seed: its first is kept, unsummarised
    assert _interrupt(_bench(tmp_path)) == (f"interrupted; the finished runs (1) are in {path}: rerun the same command "
                                            "with --resume")
    entry = json.loads(path.read_text())["runs"][0]
    assert entry["methods"] == {} and entry["unfinished"]["uniform"]["seeds"] == [0]
    assert "Not finished (interrupted; rerun with --resume to finish): uniform (1 of 2 seeds)" in \
        svm_plots_table(path)
    fake.calls, fake.stop_at = [], 3   # resumed, then Ctrl-C again in shrinking's second seed
    assert "the finished runs (3) are in" in _interrupt(_bench(tmp_path, "--resume"))
    assert fake.calls == [("uniform/off", 1), ("None/drift", 0), ("None/drift", 1)]
    fake.calls, fake.stop_at = [], None
    assert svm.main(_bench(tmp_path, "--resume")) == 0
    assert fake.calls == [("None/drift", 1)]
    resumed = json.loads(path.read_text())
    assert svm.main(_bench(tmp_path, "--out", str(tmp_path / "straight"))) == 0   # the same, uninterrupted
    straight = json.loads((tmp_path / "straight" / "results.json").read_text())
    assert "unfinished" not in resumed["runs"][0]
    assert resumed["runs"][0]["methods"] == straight["runs"][0]["methods"]
    assert not list(path.parent.glob("*.tmp"))


def svm_plots_table(path: Path) -> str:
    from autoassist.bench.svm_plots import table

    return table(json.loads(path.read_text()))


@pytest.mark.parametrize(("extra", "message"), [
    (["--passes", "3"], "got passes = 2 in {path} but 3 in this command"),
    (["--seeds", "0"], r"got seeds = \[0, 1\] in {path} but \[0\] in this command"),
    (["--test-fraction", "0.3"], "got test_fraction = 0.2 in {path} but 0.3 in this command"),
])
def test_resume_refuses_other_settings(tmp_path: Path, fake: _FakeRuns, extra: list[str], message: str) -> None:
    assert svm.main(_bench(tmp_path)) == 0
    path = tmp_path / "out" / "results.json"
    before, fake.calls = path.read_text(), []
    with pytest.raises(ParameterError, match="--resume must keep the setting of the finished runs; "
                                             + message.format(path=re.escape(str(path)))):
        svm.main(_bench(tmp_path, "--resume", *extra))
    assert path.read_text() == before and fake.calls == []
    assert svm.main(_bench(tmp_path, "--resume", "--methods", "uniform", "shrinking", "is-loss")) == 0
    assert fake.calls == [("loss/off", 0), ("loss/off", 1)]   # more methods: only theirs run
    assert set(json.loads(path.read_text())["runs"][0]["methods"]) == {"uniform", "shrinking", "is-loss"}


def test_lambdas_distinct_at_7_digits_get_distinct_headings_and_plots(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.figure import Figure

    from autoassist.bench.svm_plots import lambda_labels, plot_svm, table

    assert lambda_labels([0.004629630, 3.07e-05]) == ["0.00463", "3.07e-05"]   # the committed plots' names
    assert lambda_labels([1e-3, 1.0004e-3]) == ["0.001", "0.0010004"]
    curve = {"pass": [0, 1], "visited": [0, 4], "updates": [0, 4], "seconds": [0.0, 0.1], "objective": [2.0, 1.5],
             "test_accuracy": [None, 0.5]}
    method = {"curves": [curve], "seeds": {"updates_to_stay_1e-2": [None], "seconds_to_stay_1e-2": [None]},
              "params": {"average": False}, "final_rel_subopt": 0.5, "final_test_accuracy": 0.5,
              **{f"{k}_{label}": None for k in ("updates_to", "updates_to_stay", "margins_to_stay", "passes_to_stay",
                                                "seconds_to", "seconds_to_stay") for label in ("1e-2", "1e-3")},
              **{f"{k}_to_stay_1e-2_vs_{b}": None for k in ("updates", "seconds") for b in ("baseline", "limit")}}
    results = {"config": {"data": "x.svm", "n_train": 4, "n_features": 2, "nnz_per_row": 1.0, "passes": 1,
                          "seeds": [0]}, "hardware": {}, "runs": [
        {"lambda": lam, "optimum": 1.0, "sv_fraction": 0.5, "methods": {"uniform": method}} for lam in (1e-3, 1.0004e-3)]}
    (tmp_path / "results.json").write_text(json.dumps(results))
    assert [line[:27] for line in table(results).splitlines() if line.startswith("### ")] == [
        "### lambda = 0.001 (optimum", "### lambda = 0.0010004 (opt"]
    monkeypatch.setattr(Figure, "savefig", lambda self, path, **kwargs: Path(path).write_text(""))
    assert [p.name for p in plot_svm(tmp_path)] == ["svm_lambda0.001.png", "svm_lambda0.0010004.png"]
    parser = _RecordingParser()
    svm.configure(parser)
    assert "the first is the one plotted" not in str(parser.helps["--lambda"])
    assert "its own plot" in str(parser.helps["--lambda"])


def test_goals_table_says_when_no_yardstick_was_run() -> None:
    from autoassist.bench.svm_plots import goals

    results = {"runs": [{"sv_fraction": 0.2, "methods": {
        "shrinking": {"updates_to_stay_1e-2": 40.0, "seconds_to_stay_1e-2": 4.0, "baseline": None}}}]}
    row = next(line for line in goals(results).splitlines() if line.startswith("| shrinking"))
    assert row == "| shrinking | – | – | – | 0.50x | no uniform run | – | – | – | no uniform run | – | no sklearn run |"


def test_interleave_names_an_unknown_method(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        svm_interleave.main(["--data", str(_tiny(tmp_path)), "--methods", "uniform", "foo", "--passes", "3", "3"])
    err = capsys.readouterr().err
    assert "--methods must be names of bench svm's methods and variants but the oracle (uniform, " in err
    assert "got foo. Pick names from that list." in err
    with pytest.raises(SystemExit):
        svm_interleave.main(["--data", str(_tiny(tmp_path)), "--methods", "uniform", "--passes", "3", "3"])
    assert "--passes must be one count per method of --methods (1); got 3 3." in capsys.readouterr().err
