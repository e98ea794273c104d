"""`autoassist bench translate` and `autoassist demo --task translation` end to end, on tiny synthetic corpora."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from autoassist._errors import ParameterError
from autoassist.bench.translation_runner import TranslationTrainConfig, inverse_sqrt_lr
from autoassist.cli import main

TINY_MODEL = ["--d-model", "16", "--heads", "2", "--layers", "1", "--d-ff", "32"]
TINY = ["--synthetic-train", "160", "--vocab-size", "120", "--epochs", "1.5", "--max-tokens", "600",
        "--val-sentences", "6", "--test-sentences", "4", "--beam-size", "2", "--eval-points", "2",
        "--warmup-steps", "5", *TINY_MODEL]


@pytest.fixture(autouse=True)
def one_torch_thread() -> object:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def bench_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench-translate")
    methods = ["uniform", "autoassist:assistant=paper", "autoassist:assistant=loss-history",
               "random:keep_rate=auto", "infobatch", "importance"]
    torch.set_num_threads(1)
    assert main(["bench", "translate", *TINY, "--methods", *methods, "--fractions", "1", "0.5",
                 "--out", str(out)]) == 0
    return out


def test_bench_translate_records_every_run(bench_dir: Path) -> None:
    results = json.loads((bench_dir / "results.json").read_text())
    assert results["config"]["task"] == "translation"
    assert len(results["runs"]) == 12
    full = results["full_steps"]["0"]
    assert full == round(1.5 * results["steps_per_epoch"]["0"])
    auto = {}
    for run in results["runs"]:
        assert run["boss_steps"] == max(1, round(run["fraction"] * full))
        for key in ("final_val_bleu", "test_bleu", "sacrebleu_signature", "wall_time_s", "boss_wait_s",
                    "max_train_loss", "spiked", "time_to_target_s", "time_to_stay_s"):
            assert key in run
        assert "tok:13a" in run["sacrebleu_signature"]
        curves = run["curves"]
        assert curves["step"][0] == 0 and curves["step"][-1] == run["boss_steps"]
        assert len(curves["val_bleu"]) == len(curves["wall_time_s"]) == len(curves["keep_rate"])
        if run["method"] == "autoassist:assistant=paper":
            auto[run["fraction"]] = run["selector_stats"]["keep_rate"]
            assert curves["assistant_accuracy"][-1] is not None
    for run in results["runs"]:
        if run["method"] == "random:keep_rate=auto":  # random runs at AutoAssist's keep rate
            assert run["resolved_keep_rate"] == pytest.approx(auto[run["fraction"]])
    assert results["hardware"]["git_commit"] is not None or "autoassist_version" in results["hardware"]
    table = (bench_dir / "table.md").read_text()
    assert "budget to target" in table and "| 0.5 | importance |" in table
    assert (bench_dir / "curves.png").is_file() and (bench_dir / "budget_sweep.png").is_file()
    assert len(list((bench_dir / "bpe").glob("bpe*.model"))) == 1   # the default BPE cache, kept for --resume


def test_resume_skips_finished_runs_and_plot_merge_read_the_json(bench_dir: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "translate", *TINY, "--methods", "uniform", "--out", str(bench_dir), "--resume"]) == 0
    assert len(json.loads((bench_dir / "results.json").read_text())["runs"]) == 12
    assert "[1/" not in capsys.readouterr().out
    (bench_dir / "table.md").unlink()
    assert main(["plot", str(bench_dir)]) == 0
    assert (bench_dir / "table.md").is_file()
    assert main(["merge", str(tmp_path / "twice"), str(bench_dir), str(bench_dir)]) == 2  # each run once
    assert "twice" in capsys.readouterr().err and not (tmp_path / "twice" / "results.json").exists()
    other = tmp_path / "seed1"
    assert main(["bench", "translate", *TINY, "--methods", "uniform", "--seeds", "1", "--out", str(other)]) == 0
    assert main(["merge", str(tmp_path / "merged"), str(bench_dir), str(other)]) == 0
    merged = json.loads((tmp_path / "merged" / "results.json").read_text())
    assert merged["steps_per_epoch"]["0"] > 0 and merged["steps_per_epoch"]["1"] > 0 and len(merged["runs"]) == 13
    assert merged["summary"]["rows"][0]["method"] == "uniform" and merged["summary"]["rows"][0]["seeds"] == 2


def test_a_resumed_benchmark_reads_its_results_once(bench_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # check_resume reads results.json and hands it to the corpus check and to run_planned
    import autoassist.bench.translation as translation

    reads: list[Path] = []
    read_text = Path.read_text

    def counted(path: Path, *args: Any, **kwargs: Any) -> str:
        if path.name == "results.json":
            reads.append(path)
        return read_text(path, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counted)
    monkeypatch.setattr(translation, "report_results", lambda out, plot: None)   # the plots read the file written
    assert main(["bench", "translate", *TINY, "--methods", "uniform", "--out", str(bench_dir), "--resume"]) == 0
    assert reads == [bench_dir / "results.json"]


def test_demo_task_translation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    # --eval-points 12 and --threads 0 are the image demo's defaults: given here, they are the user's values
    assert main(["demo", "--task", "translation", "--synthetic-train", "150", "--epochs", "1", "--max-tokens", "400",
                 "--val-sentences", "8", "--test-sentences", "8", "--eval-points", "12", "--threads", "0",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "test BLEU" in printed and "autoassist:assistant=paper" in printed
    results = json.loads((out / "results.json").read_text())
    assert results["config"]["eval_points"] == 12 and results["config"]["threads"] == 0
    assert results["config"]["device"] == "cpu" and results["config"]["lr"] == 2e-3
    assert [r["method"] for r in results["runs"]] == ["uniform", "autoassist:assistant=paper"]
    assert len({r["boss_steps"] for r in results["runs"]}) == 1
    assert (out / "demo.png").stat().st_size > 10_000


def test_compressed_schedule_is_the_full_one_at_scaled_steps() -> None:
    full = TranslationTrainConfig(lr=1e-3, warmup_steps=40, fraction=1.0)
    half = TranslationTrainConfig(lr=1e-3, warmup_steps=40, fraction=0.5)
    assert inverse_sqrt_lr(40, full) == pytest.approx(1e-3)
    assert inverse_sqrt_lr(20, half) == pytest.approx(1e-3)
    assert inverse_sqrt_lr(160, full) == pytest.approx(inverse_sqrt_lr(80, half)) == pytest.approx(5e-4)


def _bleu_run(method: str, final: float) -> dict[str, Any]:
    """A finished full run whose validation BLEU goes from 0 before training to ``final``."""
    return {"method": method, "seed": 0, "fraction": 1.0, "final_val_bleu": final, "test_bleu": final, "wall_time_s": 5.0,
            "boss_steps": 10, "backprop_instances": 100, "selector_stats": {},
            "curves": {"step": [0, 10], "wall_time_s": [0.0, 5.0], "val_bleu": [0.0, final]}}


def test_a_target_at_or_below_zero_bleu_is_not_defined() -> None:
    # at tiny sizes uniform's final BLEU minus the tolerance can be negative: every run would "reach" it at step 0
    from autoassist.bench.demo import translation_demo_table
    from autoassist.bench.translation import finalize
    from autoassist.bench.translation_report import markdown_table

    results: dict[str, Any] = {"config": {"tolerance": 0.5, "methods": ["uniform", "autoassist"], "beam_size": 2},
                               "runs": [_bleu_run("uniform", 0.3), _bleu_run("autoassist", 0.2)]}
    finalize(results)
    s = results["summary"]
    assert s["target_bleu"] is None
    assert s["target_undefined"] == ("uniform's final score 0.30 BLEU minus the tolerance is -0.20 BLEU, not above "
                                     "0.00 BLEU, which a run scored before training")
    assert all(r["time_to_target_s"] is None and r["time_to_stay_s"] is None for r in results["runs"])
    assert not any(row["reaches_target"] for row in s["rows"])
    for table in (markdown_table(results), translation_demo_table(results)):
        assert "minus 0.5 is not defined (uniform's final score 0.30 BLEU" in table
        assert "no target" in table and "not reached" not in table
    results["config"]["tolerance"] = 0.1   # 0.2 BLEU, above where the runs started: a target the runs reach
    finalize(results)
    assert results["summary"]["target_bleu"] == pytest.approx(0.2)
    assert [r["time_to_target_s"] for r in results["runs"]] == [5.0, 5.0]


def test_bad_translation_input_is_one_clear_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["bench", "translate", "--methods", "uniform", "random:keep_rate=auto", "--out", str(tmp_path)]) == 2
    assert "autoassist method listed before random:keep_rate=auto" in capsys.readouterr().err
    assert main(["bench", "translate", "--methods", "selective_backprop", "--out", str(tmp_path)]) == 2
    assert "forward passes do not fit the translation benchmark" in capsys.readouterr().err
    assert main(["bench", "translate", "--data-dir", str(tmp_path / "none"), "--out", str(tmp_path)]) == 2
    assert "--data-dir must be an existing folder" in capsys.readouterr().err
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for split in ("train", "val"):
        for lang in ("en", "de"):
            (corpus / f"{split}.{lang}").write_text("a b\n")
    assert main(["bench", "translate", "--data-dir", str(corpus), "--out", str(tmp_path / "out")]) == 2
    assert "--data-dir must be a folder holding test.en or test.en.gz" in capsys.readouterr().err
    (tmp_path / "afile").write_text("")
    assert main(["bench", "translate", "--bpe-dir", str(tmp_path / "afile"), "--out", str(tmp_path / "out")]) == 2
    assert "--bpe-dir must be a folder this user can create and write" in capsys.readouterr().err
    (tmp_path / "afile").unlink()
    assert main(["bench", "translate", "--seeds", "-1", "--out", str(tmp_path / "out")]) == 2
    assert "--seeds must be >= 0; got -1" in capsys.readouterr().err
    assert main(["bench", "translate", "--device", "tpu", "--out", str(tmp_path)]) == 2
    assert "--device must be cpu, cuda or cuda:N; got tpu" in capsys.readouterr().err
    assert main(["bench", "translate", "--decode-batch-size", "0", "--out", str(tmp_path)]) == 2
    assert "--decode-batch-size must be >= 1; got 0" in capsys.readouterr().err
    assert main(["bench", "translate", "--eval-ema", "1", "--out", str(tmp_path)]) == 2
    assert "--eval-ema must be in [0, 1); got 1.0" in capsys.readouterr().err
    assert main(["bench", "translate", "--synthetic-noise", "-0.1", "--out", str(tmp_path)]) == 2
    assert "--synthetic-noise must be in [0, 1); got -0.1" in capsys.readouterr().err
    assert main(["bench", "translate", "--pool-batches", "0", "--out", str(tmp_path)]) == 2
    assert "--pool-batches must be >= 1; got 0" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]  # refused before anything was written


@pytest.mark.parametrize(("argv", "message"), [
    (["--max-tokens", "0"], "--max-tokens must be >= 8; got 0. It is the padded tokens per batch"),   # once 0 = default
    (["--vocab-size", "0"], "--vocab-size must be >= 8; got 0. It is the joint BPE's number of ids"),
    (["--heads", "3"], "--d-model must be a multiple of --heads (3); got 128"),
    (["--beam-size", "0"], "--beam-size must be >= 1; got 0"),     # once raised after the first run's training
    (["--lr", "-1"], "--lr must be > 0; got -1.0. Pass Adam's peak learning rate"),   # once a traceback from torch
    (["--epochs", "inf"], "--epochs must be finite; got inf. It is uniform's budget in passes"),
    (["--clip-grad-norm", "-1"], "--clip-grad-norm must be >= 0; got -1.0"),   # once accepted: gradients negated
    (["--warmup-steps", "-5"], "--warmup-steps must be >= 0; got -5"),
    (["--val-sentences", "0"], "--val-sentences must be >= 1; got 0. Leave it out to use every validation sentence"),
    (["--methods", "autoassist:assistant=nope"],    # once "assistant must be one of ...", neither flag nor spec named
     "--methods must be autoassist:assistant=<loss-history|paper|loss-only>; got autoassist:assistant=nope"),
    # an option of the other corpus type was ignored, yet recorded in the config (and compared by --resume and merge)
    (["--src", "xx", "--tgt", "yy", "--test-split", "nope", "--lowercase"],
     "--src must be given with --data-dir (it describes a corpus of files); got xx"),
    (["--src", "en"], "--src must be given with --data-dir"),    # given, though it is the default
    (["--lowercase"], "--lowercase must be given with --data-dir"),
    (["--methods", "autoassist:base_prob=2"], "base_prob must be in [0, 1]; got 2.0"),
    (["--methods", "uniform", "random:keep_rate=0"], "random:keep_rate=<a number in (0, 1]>"),
    (["--methods", "uniform", "infobatch:ratio=3"], "unexpected keyword argument 'ratio'"),
    (["--methods", "oracle:easiest=2"], "easiest must be in [0, 1); got 2.0"),
])
def test_every_option_is_checked_before_the_corpus_is_read(argv: list[str], message: str, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    # the methods are built on placeholder pairs first: a bad option of the last method fails before any run
    assert main(["bench", "translate", *argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "synthetic-" not in err
    assert not (tmp_path / "out").exists()


def _small_corpus(folder: Path, train_en: list[str] | None = None, train_de: list[str] | None = None) -> Path:
    """A tiny line-aligned corpus in ``folder``; ``train_en`` and ``train_de`` replace the training sides."""
    folder.mkdir()
    lines = ["a b c", "b c d e a c e b d a c e b", "c d", "d e a b"]
    for split in ("train", "val", "test"):
        en = train_en if split == "train" and train_en is not None else lines
        de = train_de if split == "train" and train_de is not None else [line.upper() for line in en]
        (folder / f"{split}.en").write_text("\n".join(en) + "\n")
        (folder / f"{split}.de").write_text("\n".join(de) + "\n")
    return folder


LONG = " ".join(["a c e b d"] * 60)   # 300 words: longer than the model's 250 subwords a side


@pytest.mark.parametrize(("train_en", "train_de", "argv", "message"), [
    (None, ["A B C", "B C D E A C E B D A C E B"], [],
     "parallel files must have the same number of lines; got 4 lines in train.en"),
    (None, None, ["--max-tokens", "8"], "--max-tokens must be at least the longest training pair's padded size "
     "(20 tokens); got 8. Raise --max-tokens to 20 or more, or remove the longest pairs from the training files "
     "(--limit-train keeps the first N pairs, whatever their length)."),   # once advised a smaller --limit-train
    ([LONG, LONG], None, [], "--data-dir must be a corpus whose train split keeps at least one pair of 1 to 250"),
])
def test_a_corpus_refused_by_its_data_leaves_no_out_folder(train_en: list[str] | None, train_de: list[str] | None,
                                                           argv: list[str], message: str, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    # the corpus is read, its vocabulary learnt and its longest pair measured before --out (and its bpe cache) exists
    corpus = _small_corpus(tmp_path / "corpus", train_en, train_de)
    assert main(["bench", "translate", "--data-dir", str(corpus), "--vocab-size", "20", *argv,
                 "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["--synthetic-train", "3"], "--synthetic-train must be left out with --data-dir (it sets the synthetic corpus); "
                                 "got 3. --data-dir trains on its files"),
    (["--synthetic-noise", "0"], "--synthetic-noise must be left out with --data-dir"),
    (["--src", "en", "--tgt", "en"], "--tgt must be a language other than --src (en); got en"),   # once a copy task
])
def test_options_that_do_not_fit_a_corpus_of_files_are_refused(argv: list[str], message: str, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    corpus = _small_corpus(tmp_path / "corpus")
    assert main(["bench", "translate", "--data-dir", str(corpus), *argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("split", "flag", "word"), [("val", "--val-split", "validation"), ("test", "--test-split", "test")])
def test_an_empty_validation_or_test_split_is_refused_before_anything_is_written(
        split: str, flag: str, word: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # once found after the first run's training (test) or at its first evaluation (val), --out/bpe already written
    corpus = _small_corpus(tmp_path / "corpus")
    for lang in ("en", "de"):
        (corpus / f"{split}.{lang}").write_text("")
    assert main(["bench", "translate", "--data-dir", str(corpus), "--vocab-size", "20", "--out",
                 str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert (f"{flag} must be a split of --data-dir holding at least one sentence pair; got {split}. "
            f"{corpus / f'{split}.en'} and {corpus / f'{split}.de'} hold no sentence. Put the {word} sentences") in err
    assert not (tmp_path / "out").exists()


def test_an_unreadable_corpus_file_is_exit_status_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = _small_corpus(tmp_path / "corpus")
    (corpus / "train.en").write_bytes("a b c\nb c d e\ncaf\u00e9\nd e a b\n".encode("latin-1"))
    assert main(["bench", "translate", "--data-dir", str(corpus), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{corpus / 'train.en'} must be UTF-8 text; got byte 0xe9 on line 3" in err and "Traceback" not in err


@pytest.mark.parametrize("bpe_dir", [False, True])
def test_a_refused_command_adds_nothing_to_an_existing_bpe_cache(bpe_dir: bool, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # the BPE was learnt straight into an existing cache (--out/bpe or --bpe-dir), then --max-tokens refused
    corpus = _small_corpus(tmp_path / "corpus")
    cache = tmp_path / "cache" if bpe_dir else tmp_path / "out" / "bpe"
    cache.mkdir(parents=True)
    assert main(["bench", "translate", "--data-dir", str(corpus), "--vocab-size", "20", "--max-tokens", "8",
                 *(["--bpe-dir", str(cache)] if bpe_dir else []), "--out", str(tmp_path / "out")]) == 2
    assert "--max-tokens must be at least" in capsys.readouterr().err
    assert list(cache.iterdir()) == []


def test_a_model_the_bpe_cache_holds_is_read_there_and_not_learnt_again(tmp_path: Path) -> None:
    from autoassist.bench.translation import TranslationBenchConfig, load_text_data
    from autoassist.data.parallel import load_parallel
    from autoassist.data.tokenize import train_joint_bpe

    corpus = _small_corpus(tmp_path / "corpus")
    cached = train_joint_bpe(load_parallel(corpus, "train"), 20, tmp_path / "cache", seed=0).model_path
    cfg = TranslationBenchConfig(data_dir=str(corpus), vocab_size=20)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    assert load_text_data(cfg, scratch, lambda line: None, cache=tmp_path / "cache").tokenizer.model_path == cached
    assert list(scratch.iterdir()) == []
    assert load_text_data(cfg, scratch, lambda line: None, cache=tmp_path / "other").tokenizer.model_path.parent == scratch
    assert not (tmp_path / "other").exists()


def test_a_vocabulary_the_corpus_cannot_fill_is_refused_by_its_flag(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # train_joint_bpe names its parameter vocab_size; the command names its flag, the value and the least that works:
    # a-e in both cases and the word boundary (11 characters) plus <pad>, <unk>, <s>, </s>
    out = tmp_path / "out"
    assert main(["bench", "translate", "--data-dir", str(_small_corpus(tmp_path / "corpus")), "--vocab-size", "10",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert ("--vocab-size must be at least the training pairs' distinct characters plus 4 special ids (15 here); "
            "got 10. Use --vocab-size 15 or more") in err
    assert "vocab_size" not in err and not out.exists()
    blank = _small_corpus(tmp_path / "blank", ["", ""], ["", ""])
    assert main(["bench", "translate", "--data-dir", str(blank), "--out", str(out)]) == 2
    assert "--data-dir must be a corpus whose train split holds at least one sentence" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_cuda_device_refused_without_a_gpu(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["bench", "translate", "--device", "cuda", "--out", str(tmp_path / "out")]) == 2
    assert "torch sees no CUDA GPU" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_anneal_fraction_takes_the_runs_own_budget(tmp_path: Path) -> None:
    # AutoAssist refuses anneal_fraction without total_steps; the benchmark supplies the run's budget
    # (the compressed one at fraction 0.5), as bench image does.
    out = tmp_path / "anneal"
    assert main(["bench", "translate", *TINY, "--methods", "autoassist:assistant=paper,anneal_fraction=0.5",
                 "--fractions", "0.5", "--out", str(out)]) == 0
    run = json.loads((out / "results.json").read_text())["runs"][0]
    assert run["method_options"]["anneal_fraction"] == 0.5
    assert run["boss_steps"] == run["config"]["total_steps"]


def test_prefer_easy_reaches_the_runs_selector(tmp_path: Path) -> None:
    out = tmp_path / "easy"
    assert main(["bench", "translate", *TINY, "--methods", "autoassist:assistant=paper,prefer=easy",
                 "--out", str(out)]) == 0
    run = json.loads((out / "results.json").read_text())["runs"][0]
    assert run["method_options"]["prefer"] == "easy" and run["selector_stats"]["keep_rate"] < 1.0


def test_easy_then_hard_takes_the_runs_own_budget(tmp_path: Path) -> None:
    out = tmp_path / "curriculum"
    assert main(["bench", "translate", *TINY, "--methods",
                 "autoassist:assistant=paper,prefer=easy-then-hard,switch_fraction=0.6", "--out", str(out)]) == 0
    run = json.loads((out / "results.json").read_text())["runs"][0]
    assert run["method_options"] == {"assistant": "paper", "prefer": "easy-then-hard", "switch_fraction": 0.6}


def test_autoassist_accepting_everything_trains_exactly_as_uniform(tmp_path: Path) -> None:
    """Methods of one seed share the Boss's initial weights and dropout stream: AutoAssist accepting every
    instance (a warm-up longer than the run) trains the same Boss, step for step, as uniform."""
    out = tmp_path / "same"
    assert main(["bench", "translate", *TINY, "--methods", "uniform",
                 "autoassist:assistant=paper,warmup_instances=100000", "--out", str(out)]) == 0
    uniform, accept_all = json.loads((out / "results.json").read_text())["runs"]
    assert accept_all["selector_stats"]["keep_rate"] == 1.0
    assert accept_all["curves"]["train_loss"] == uniform["curves"]["train_loss"]
    assert accept_all["test_bleu"] == uniform["test_bleu"]


def test_a_longer_run_begins_as_the_shorter_one(tmp_path: Path) -> None:
    """The full-run schedule (inverse-sqrt) does not depend on the run's length, so the first two passes of a 3-pass
    run are the 2-pass run of the same seed, the Assistant's filtering in the second pass included: same training
    losses, keep rates and validation BLEU at every evaluation both grids share (the README's 8-epoch runs rely on
    this)."""
    methods = ["--methods", "uniform", "autoassist:assistant=paper"]
    runs = {}
    for epochs, points in (("2", "4"), ("3", "6")):
        out = tmp_path / epochs
        assert main(["bench", "translate", *TINY, *methods, "--epochs", epochs, "--eval-points", points,
                     "--out", str(out)]) == 0
        runs[epochs] = json.loads((out / "results.json").read_text())["runs"]
    for short, long in zip(runs["2"], runs["3"]):
        assert short["method"] == long["method"] and 2 * long["boss_steps"] == 3 * short["boss_steps"]
        at = {step: i for i, step in enumerate(long["curves"]["step"])}
        shared = [(i, at[step]) for i, step in enumerate(short["curves"]["step"]) if step in at]
        assert short["curves"]["step"][shared[-1][0]] > short["boss_steps"] // 2  # into the second pass
        for key in ("train_loss", "keep_rate", "val_bleu", "backprop_instances"):
            assert [short["curves"][key][i] for i, _ in shared] == [long["curves"][key][j] for _, j in shared], key
    assert runs["2"][1]["selector_stats"]["keep_rate"] < 1.0  # the Assistant filtered in the second pass


def test_pool_batches_reaches_every_run_and_its_epoch(tmp_path: Path) -> None:
    """``--pool-batches`` is AutoAssist's ``pool_batches`` for every method, uniform's epoch included:
    a one-batch pool sorts less and so makes more batches per unfiltered pass than the default."""
    steps = {}
    for pool in ("1", "32"):
        out = tmp_path / pool
        assert main(["bench", "translate", *TINY, "--methods", "uniform", "autoassist", "--eval-points", "1",
                     "--pool-batches", pool, "--out", str(out)]) == 0
        results = json.loads((out / "results.json").read_text())
        assert {run["config"]["pool_batches"] for run in results["runs"]} == {int(pool)}
        steps[pool] = results["steps_per_epoch"]["0"]
    assert steps["1"] > steps["32"]


def test_each_seeds_budget_is_its_own_pass_whichever_seeds_share_the_command(tmp_path: Path) -> None:
    """A run is a function of its seed: seed 1's budget is seed 1's unfiltered pass, alone or after seed 0
    (whose batches pack differently here), and the merged results keep every seed's budget."""
    from autoassist.bench.translation import TranslationBenchConfig, load_text_data, uniform_steps_per_epoch

    cfg = TranslationBenchConfig(synthetic_train=300, vocab_size=120, max_tokens=300, val_sentences=6,
                                 test_sentences=4, bpe_dir=str(tmp_path / "bpe"))
    data = load_text_data(cfg, tmp_path / "bpe", lambda line: None)
    passes = uniform_steps_per_epoch(data, cfg, (0, 1))
    assert passes[0] != passes[1]  # the seeds' batches pack differently
    small = [*TINY, "--synthetic-train", "300", "--max-tokens", "300", "--epochs", "0.5", "--eval-points", "1", "--methods", "uniform",
             "--bpe-dir", str(tmp_path / "bpe")]
    assert main(["bench", "translate", *small, "--seeds", "0", "1", "--out", str(tmp_path / "both")]) == 0
    assert main(["bench", "translate", *small, "--seeds", "1", "--out", str(tmp_path / "alone")]) == 0
    both = json.loads((tmp_path / "both" / "results.json").read_text())
    alone = json.loads((tmp_path / "alone" / "results.json").read_text())
    assert both["steps_per_epoch"] == {"0": passes[0], "1": passes[1]}
    assert [run["boss_steps"] for run in both["runs"]] == [round(0.5 * passes[0]), round(0.5 * passes[1])]
    assert alone["runs"][0]["boss_steps"] == both["runs"][1]["boss_steps"]
    assert alone["runs"][0]["final_val_bleu"] == both["runs"][1]["final_val_bleu"]
    assert main(["bench", "translate", *small, "--seeds", "0", "--out", str(tmp_path / "zero")]) == 0
    assert main(["merge", str(tmp_path / "merged"), str(tmp_path / "alone"), str(tmp_path / "zero")]) == 0
    merged = json.loads((tmp_path / "merged" / "results.json").read_text())
    assert merged["full_steps"] == both["full_steps"]
    assert main(["plot", str(tmp_path / "merged")]) == 0
    assert "by seed" in (tmp_path / "merged" / "table.md").read_text()


def test_fresh_decisions_reach_every_run_and_keep_the_default_budget(tmp_path: Path) -> None:
    """``--fresh-decisions`` is AutoAssist's ``fresh_decisions`` for every method; the budget stays uniform's
    steps with the default batcher, and every run counts the padded tokens it computed on."""
    out = tmp_path / "fresh"
    assert main(["bench", "translate", *TINY, "--methods", "uniform", "autoassist:assistant=paper,prefer=easy",
                 "--eval-points", "1", "--fresh-decisions", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    assert {run["config"]["fresh_decisions"] for run in results["runs"]} == {True}
    assert {run["boss_steps"] for run in results["runs"]} == {results["full_steps"]["0"]}
    for run in results["runs"]:
        assert run["padded_tokens"] > run["target_tokens"] > 0
        assert run["curves"]["padded_tokens"][-1] == run["padded_tokens"]


def test_eval_ema_decodes_the_moving_average_of_the_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``--eval-ema 0.8`` every BLEU evaluation decodes an exponential moving average of the Boss's
    weights after each step (the first step's weights, then ``ema += 0.2 (w - ema)``), not the Boss."""
    from autoassist.bench import translation_runner

    snapshots: list[list[torch.Tensor]] = []
    boss: list[torch.nn.Module] = []
    evaluated: list[tuple[torch.nn.Module, list[torch.Tensor]]] = []
    real_update, real_bleu = translation_runner.boss_update, translation_runner.bleu_of

    def update(model: torch.nn.Module, *args: object) -> None:
        real_update(model, *args)
        boss[:] = [model]
        snapshots.append([p.detach().clone() for p in model.parameters()])

    def bleu(model: torch.nn.Module, *args: object, **kwargs: object) -> tuple[float, str]:
        evaluated.append((model, [p.detach().clone() for p in model.parameters()]))
        return real_bleu(model, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(translation_runner, "boss_update", update)
    monkeypatch.setattr(translation_runner, "bleu_of", bleu)
    out = tmp_path / "ema"
    assert main(["bench", "translate", *TINY, "--methods", "uniform", "--eval-ema", "0.8", "--out", str(out)]) == 0
    run = json.loads((out / "results.json").read_text())["runs"][0]
    assert run["config"]["eval_ema"] == 0.8 and len(snapshots) == run["boss_steps"] > 2
    expected = [p.clone() for p in snapshots[0]]
    for later in snapshots[1:]:
        expected = [e + 0.2 * (p - e) for e, p in zip(expected, later)]
    model, params = evaluated[-1]  # the test BLEU, after the last step
    assert model is not boss[0]
    for got, want in zip(params, expected):
        torch.testing.assert_close(got, want)
    assert any(not torch.equal(got, last) for got, last in zip(params, snapshots[-1]))  # it lags the Boss


def test_oracle_scores_with_the_bosss_current_losses_against_the_rules_threshold() -> None:
    """``BossLossOracle`` says 1 exactly where a sentence's current loss (a plain forward of that
    sentence alone, evaluation mode) is above the previous pass's mean once a pass has ended, and
    above the running mean of feedback batches before; the Boss is left in training mode."""
    from autoassist.bench.translation_oracle import BossLossOracle
    from autoassist.data.text_batches import TranslationDataset
    from autoassist.data.tokenize import PAD_ID
    from autoassist.losses import sequence_losses
    from autoassist.models.transformer import Seq2SeqTransformer, TransformerConfig

    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    src = [torch.randint(4, 40, (int(n),), generator=gen).tolist() for n in torch.randint(2, 9, (30,), generator=gen)]
    tgt = [torch.randint(4, 40, (int(n),), generator=gen).tolist() for n in torch.randint(2, 9, (30,), generator=gen)]
    dataset = TranslationDataset(src, tgt)
    model = Seq2SeqTransformer(TransformerConfig(vocab_size=40, d_model=16, n_heads=2, encoder_layers=1,
                                                 decoder_layers=1, d_ff=32, dropout=0.3)).train()
    oracle = BossLossOracle(model, dataset, label_smoothing=0.1, max_tokens=24)  # several scoring chunks
    indices = torch.randperm(30, generator=gen).numpy()[:20]
    model.eval()
    with torch.no_grad():
        alone = [float(sequence_losses(model(b.src, b.tgt_in), b.tgt_out, PAD_ID, 0.1)[0])
                 for b in (dataset.collate([int(i)]) for i in indices)]
    model.train()
    assert oracle.losses(indices) == pytest.approx(alone, rel=1e-5)
    assert model.training
    median = float(torch.tensor(alone).median())
    oracle.learn(indices[:4], torch.full((4,), median).numpy())  # the running mean starts at the first batch mean
    assert oracle.score(indices).tolist() == [float(x > median) for x in alone]
    oracle.begin_pass(1)                                          # the pass's mean loss becomes the threshold
    oracle.learn(indices[:2], torch.tensor([0.0, 1.0]).numpy())  # ... later feedback does not move it
    assert oracle.score(indices).tolist() == [float(x > median) for x in alone]
    assert oracle.stats()["oracle_informative_rate"] == pytest.approx(sum(x > median for x in alone) / 20)
    restored = BossLossOracle(model, dataset, label_smoothing=0.1, max_tokens=24)
    restored.load_state_dict(oracle.state_dict())
    assert restored.score(indices).tolist() == oracle.score(indices).tolist()
    lenient = BossLossOracle(model, dataset, label_smoothing=0.1, max_tokens=24, threshold_scale=0.5)
    lenient.load_state_dict(oracle.state_dict())                 # the same threshold, halved
    assert lenient.score(indices).tolist() == [float(x > 0.5 * median) for x in alone]
    with pytest.raises(ParameterError, match="threshold_scale must be > 0; got 0"):
        BossLossOracle(model, dataset, label_smoothing=0.1, max_tokens=24, threshold_scale=0)
    inverted = BossLossOracle(model, dataset, label_smoothing=0.1, max_tokens=24, easiest=0.25)
    inverted.load_state_dict(oracle.state_dict())                # the threshold no longer matters
    easiest = sorted(range(20), key=lambda i: alone[i])[:5]      # a quarter of 20: the five lowest losses
    assert inverted.score(indices).tolist() == [float(i in easiest) for i in range(20)]
    with pytest.raises(ParameterError, match=r"easiest must be in \[0, 1\); got 1"):
        BossLossOracle(model, dataset, label_smoothing=0.1, max_tokens=24, easiest=1)


def test_bench_translate_oracle_runs_inline_with_its_scoring_kept_apart(tmp_path: Path) -> None:
    out = tmp_path / "oracle"
    assert main(["bench", "translate", *TINY, "--methods", "oracle", "oracle:threshold_scale=0.25",
                 "oracle:easiest=0.9", "--out", str(out)]) == 0
    run, lenient, inverted = json.loads((out / "results.json").read_text())["runs"]
    assert run["method_name"] == "oracle" and run["boss_steps"] == run["config"]["total_steps"]
    assert run["selector_stats"]["oracle_scoring_seconds"] == pytest.approx(run["time_split_s"]["free_scoring"])
    assert run["selector_stats"]["oracle_scoring_seconds"] > 0 and run["selector_stats"]["keep_rate"] < 1
    # a quarter of the threshold: nearly every sentence is still informative, so little is skipped
    assert lenient["selector_stats"]["oracle_informative_rate"] > run["selector_stats"]["oracle_informative_rate"]
    assert lenient["selector_stats"]["keep_rate"] > run["selector_stats"]["keep_rate"]
    # the easiest 90% of each scored pool marked informative: the rate is the fraction asked for
    assert inverted["selector_stats"]["oracle_informative_rate"] == pytest.approx(0.9, abs=0.02)


def test_synthetic_noise_names_the_corpus(tmp_path: Path) -> None:
    from autoassist.data.synthetic_translation import make_synthetic_translation

    assert main(["bench", "translate", *TINY, "--synthetic-noise", "0", "--methods", "uniform",
                 "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["corpus"] == "synthetic-160-noise0" and results["config"]["synthetic_noise"] == 0.0
    assert len(make_synthetic_translation(160, noise=0.0).noisy) == 0


def test_runs_count_the_corrupted_pairs_they_back_propagate(bench_dir: Path) -> None:
    results = json.loads((bench_dir / "results.json").read_text())
    for run in results["runs"]:
        counts = run["curves"]["noisy_backprop"]
        assert counts == sorted(counts) and counts[-1] == run["noisy_backprop"] <= run["backprop_instances"]
        if run["method"] == "uniform" and run["fraction"] == 1:  # 1.5 passes: every corrupted pair once or twice
            assert 8 <= run["noisy_backprop"] <= 16   # 5% of 160 pairs


def test_corrupted_pairs_keep_their_identity_through_tokenising(tmp_path: Path) -> None:
    from autoassist.bench.translation import TranslationBenchConfig, load_text_data
    from autoassist.data.synthetic_translation import make_synthetic_translation

    cfg = TranslationBenchConfig(synthetic_train=160, vocab_size=120, limit_train=100)
    data = load_text_data(cfg, tmp_path, log=lambda line: None)
    corpus = make_synthetic_translation(160, noise=cfg.synthetic_noise, seed=0)
    expected = [int(i) for i in corpus.noisy if i < 100]
    assert data.noisy is not None and len(data.noisy) == len(data.train_src)
    assert np.flatnonzero(data.noisy).tolist() == expected and len(expected) > 0
    for i in expected:  # the same pair, as token ids
        assert data.train_tgt[i] == data.tokenizer.encode([corpus.train.tgt[i]])[0]


def test_resume_and_merge_refuse_runs_of_another_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the config names the data folder, which may move (MERGE_MAY_DIFFER): what the runs read is compared too
    def corpus(name: str, words: str) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        rng = np.random.default_rng(len(words))
        for split, n in (("train", 120), ("val", 6), ("test", 4)):
            lines = [" ".join(rng.choice(list(words), size=int(rng.integers(2, 6)))) for _ in range(n)]
            (folder / f"{split}.en").write_text("\n".join(lines) + "\n")
            (folder / f"{split}.de").write_text("\n".join(line.upper() for line in lines) + "\n")
        return folder

    one, other = corpus("one", "abcdefgh"), corpus("other", "ijklmnop")
    small = [*TINY_MODEL, "--vocab-size", "60", "--epochs", "0.5", "--max-tokens", "200", "--eval-points", "1",
             "--beam-size", "1", "--methods", "uniform"]
    assert main(["bench", "translate", *small, "--data-dir", str(one), "--out", str(tmp_path / "a")]) == 0
    assert main(["bench", "translate", *small, "--data-dir", str(other), "--seeds", "1", "--resume",
                 "--out", str(tmp_path / "a")]) == 2
    assert "--data-dir must be the corpus of the runs --resume keeps" in capsys.readouterr().err
    assert main(["bench", "translate", *small, "--data-dir", str(other), "--seeds", "1",
                 "--out", str(tmp_path / "b")]) == 0
    assert main(["merge", str(tmp_path / "ab"), str(tmp_path / "a"), str(tmp_path / "b")]) == 2
    assert "the corpus (corpus_sha256)" in capsys.readouterr().err
    assert not (tmp_path / "ab" / "results.json").exists()
