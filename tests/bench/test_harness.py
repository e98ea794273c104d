from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch

from autoassist._errors import ParameterError
from autoassist.bench.methods import parse_method
from autoassist.bench.harness import check_resume
from autoassist.bench.report import combine_results, load_results, markdown_table, merge_results, summarize
from autoassist.bench.curves import time_to_target
from autoassist.bench.runner import TrainConfig, lr_at, train_run


def _data() -> SimpleNamespace:
    g = torch.Generator().manual_seed(0)
    w = torch.randn(6, 3, generator=g)
    x = torch.randn(240, 6, generator=g)
    y = (x @ w).argmax(1)
    return SimpleNamespace(x_train=x[:200], y_train=y[:200], x_test=x[200:], y_test=y[200:], num_classes=3,
                           raw_train=x[:200].numpy())


def _model() -> torch.nn.Module:
    return torch.nn.Linear(6, 3)


@pytest.mark.parametrize("spec", ["uniform", "random:keep_rate=0.5", "autoassist", "autoassist:assistant=paper",
                                  "autoassist:prefer=easy-then-hard,switch_fraction=0.5",
                                  "importance", "selective_backprop", "oracle"])
def test_every_method_trains_in_the_budget_protocol(spec: str) -> None:
    run = train_run(parse_method(spec), _data(), _model, TrainConfig(batch_size=16, total_steps=12, eval_points=3))
    assert run["boss_steps"] == 12 and run["backprop_instances"] == 12 * 16
    assert run["forward_instances"] >= run["backprop_instances"]
    assert run["curves"]["step"][0] == 0 and run["curves"]["step"][-1] == 12
    assert 0.0 <= run["final_test_accuracy"] <= 1.0


@pytest.mark.parametrize("spec", ["uniform", "infobatch", "autoassist"])
def test_passes_protocol_stops_after_the_passes(spec: str) -> None:
    run = train_run(parse_method(spec), _data(), _model,
                    TrainConfig(batch_size=16, num_passes=3, eval_points=3))
    assert 3.0 <= run["passes"] < 3.2
    if spec == "uniform":
        assert run["boss_steps"] == int(np.ceil(3 * 200 / 16))


def test_uniform_through_the_harness_equals_plain_training() -> None:
    data = _data()
    cfg = TrainConfig(batch_size=20, total_steps=10, lr=0.1, momentum=0.0, weight_decay=0.0, schedule="constant",
                      asynchronous=False)
    run = train_run(parse_method("uniform"), data, _model, cfg)
    torch.manual_seed(0)
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    order = np.random.default_rng([0, 0]).permutation(200)
    for step in range(10):
        idx = torch.from_numpy(order[step * 20:(step + 1) * 20])
        loss = torch.nn.functional.cross_entropy(model(data.x_train[idx]), data.y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    acc = (model(data.x_test).argmax(1) == data.y_test).float().mean().item()
    assert run["final_test_accuracy"] == pytest.approx(acc)


def test_lr_schedules() -> None:
    cfg = TrainConfig(lr=1.0, schedule="cosine")
    assert lr_at(0.0, cfg) == 1.0 and lr_at(1.0, cfg) == pytest.approx(0.0) and lr_at(0.5, cfg) == pytest.approx(0.5)
    assert lr_at(0.25, TrainConfig(lr=1.0, schedule="linear")) == 0.75
    assert lr_at(0.05, TrainConfig(lr=1.0, schedule="constant", warmup_fraction=0.1)) == pytest.approx(0.5)


def test_time_to_target() -> None:
    curve = {"test_accuracy": [0.1, 0.5, 0.9], "wall_time_s": [0.0, 1.0, 2.0]}
    assert time_to_target(curve, 0.5) == 1.0 and time_to_target(curve, 0.95) is None


def test_method_specs() -> None:
    spec = parse_method("autoassist:base_prob=0.5,unbiased=true,warmup_instances=100")
    assert spec.options == {"base_prob": 0.5, "unbiased": True, "warmup_instances": 100}
    with pytest.raises(ParameterError, match="--methods must be each one of"):
        parse_method("magic")
    with pytest.raises(ParameterError, match="key=value"):
        parse_method("autoassist:base_prob")


def _run(method: str, fraction: float, seed: int, acc: float) -> dict[str, Any]:
    return {"protocol": "budget", "method": method, "fraction": fraction, "seed": seed, "final_test_accuracy": acc,
            "wall_time_s": 10 * fraction, "boss_steps": 100 * fraction, "backprop_instances": 1, "forward_instances": 1,
            "selector_stats": {"keep_rate": 0.5, "selector_seconds": 0.1}, "time_split_s": {"boss": 1.0, "free_scoring": 0},
            "boss_step_median_ms": 1.0, "curves": {"test_accuracy": [0.5, acc], "wall_time_s": [0.0, 10 * fraction]}}


def test_budget_to_target_is_the_smallest_fraction_from_which_every_larger_one_reaches() -> None:
    runs = [_run("uniform", 1.0, s, a) for s, a in enumerate([0.90, 0.91, 0.92])]
    accs = {0.5: 0.905, 0.6: 0.895, 0.8: 0.91, 1.0: 0.92}  # 0.5 reaches, 0.6 does not: budget is 0.8
    runs += [_run("autoassist", f, s, a) for f, a in accs.items() for s in range(3)]
    s = summarize({"config": {"tolerance": 0.2}, "runs": runs})
    assert s["target_accuracy"] == pytest.approx(0.908)
    assert s["budget_to_target"]["autoassist"]["fraction"] == 0.8
    assert s["budget_to_target"]["uniform"]["fraction"] == 1.0
    assert "| autoassist | 0.80 |" in markdown_table({"config": {"tolerance": 0.2}, "runs": runs})


def test_a_target_a_run_meets_before_training_is_not_defined() -> None:
    from autoassist.bench.demo import demo_table
    from autoassist.bench.image import finalize

    # uniform ends at 52%, 2 points above where every run started (50%): 5 points below it, every run is at the
    # "target" at step 0
    results: dict[str, Any] = {"config": {"tolerance": 5.0}, "hardware": {},
                               "runs": [{**_run(m, 1.0, 0, acc), "config": {}} for m, acc in (("uniform", 0.52),
                                                                                           ("autoassist", 0.51))]}
    finalize(results)
    s = results["summary"]
    assert s["target_accuracy"] is None
    assert s["target_undefined"] == ("uniform's final score 52.00% minus the tolerance is 47.00%, not above 50.00%, "
                                     "which a run scored before training")
    assert all(r["time_to_target_s"] is None for r in results["runs"])   # not "reached at 0 s"
    assert all(row["time_to_target_s"] is None and not row["reaches_target"] for row in s["rows"])
    assert "is not defined (uniform's final score 52.00%" in markdown_table(results)
    assert "no target" in markdown_table(results) and "no target" in demo_table(results)
    results["config"]["tolerance"] = 1.0   # 51% is above every start: a target
    finalize(results)
    assert results["summary"]["target_accuracy"] == pytest.approx(0.51)
    assert results["summary"]["target_undefined"] is None and "no target" not in demo_table(results)


def test_time_to_stay_is_the_point_from_which_the_curve_stays_above_the_target() -> None:
    from autoassist.bench.curves import time_to_stay, time_to_target

    curve = {"test_accuracy": [0.5, 0.91, 0.88, 0.92, 0.93], "wall_time_s": [0.0, 1.0, 2.0, 3.0, 4.0]}
    assert time_to_target(curve, 0.9) == 1.0  # the first dip above flatters a noisy curve
    assert time_to_stay(curve, 0.9) == 3.0
    assert time_to_stay(curve, 0.95) is None


def test_one_curve_names_its_score_and_checks_its_extra_columns() -> None:
    from autoassist.bench.curves import Curve

    curve = Curve.with_columns("val_bleu", "target_tokens")
    curve.add(step=0, wall_time_s=0.0, backprop_instances=0, score=1.5, keep_rate=1.0, lr=0.1, target_tokens=0)
    assert curve.as_dict() == {"step": [0], "wall_time_s": [0.0], "backprop_instances": [0], "val_bleu": [1.5],
                               "keep_rate": [1.0], "lr": [0.1], "target_tokens": [0]}
    with pytest.raises(TypeError, match="target_tokens"):
        curve.add(step=1, wall_time_s=1.0, backprop_instances=1, score=2.0, keep_rate=1.0, lr=0.1)


def _part(folder: Path, **config: Any) -> Path:
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps({"config": config, "hardware": {}, "runs": []}))
    return folder


def test_merge_refuses_parts_trained_differently_and_writes_nothing(tmp_path: Path) -> None:
    base = dict(task="translation", lr=5e-3, max_tokens=1024, seeds=[0], eval_points=8)
    first = _part(tmp_path / "a", **base)
    other_seeds = _part(tmp_path / "b", **{**base, "seeds": [1, 2], "eval_points": 16})
    other_lr = _part(tmp_path / "c", **{**base, "lr": 1e-3, "max_tokens": 2048})
    older = _part(tmp_path / "d", task="translation", lr=5e-3, seeds=[3])   # recorded no max_tokens
    image = _part(tmp_path / "e", dataset="mnist1d", lr=5e-3, seeds=[0])
    merge_results(tmp_path / "ok", [first, other_seeds, older])
    assert json.loads((tmp_path / "ok" / "results.json").read_text())["config"]["seeds"] == [0, 1, 2, 3]
    with pytest.raises(ParameterError, match=r"got lr = 0.005 in .*a but 0.001 in .*c \(also max_tokens\)"):
        merge_results(tmp_path / "no", [first, other_lr])
    with pytest.raises(ParameterError, match="got task = 'translation' in .* but 'image'"):
        merge_results(tmp_path / "no", [first, image])
    assert not (tmp_path / "no").exists()


def test_resume_refuses_another_setting_before_any_data_is_read(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    config = dict(task="translation", lr=5e-3, seeds=[0], methods=["uniform"])
    path.write_text(json.dumps({"config": config, "runs": [{"method": "uniform", "seed": 0}]}))
    check_resume(path, {**config, "seeds": [1, 2], "methods": ["autoassist"]}, resume=True)   # more runs: fine
    with pytest.raises(ParameterError, match=r"--resume must keep .* got lr = 0.005 in .* but 0.001 in this command"):
        check_resume(path, {**config, "lr": 1e-3}, resume=True)
    lines: list[str] = []
    check_resume(path, {**config, "lr": 1e-3}, resume=False, log=lines.append)   # a fresh benchmark replaces
    assert lines and "holds 1 finished runs" in lines[0]


def test_resume_and_merge_refuse_a_method_spelled_another_way(tmp_path: Path) -> None:
    """A respelled method (keep_rate=.5 for 0.5, lr=1 for 1.0) was trained again and counted as a second method."""
    path = tmp_path / "results.json"
    config = dict(task="translation", lr=5e-3, seeds=[0], methods=["random:keep_rate=0.5"])
    path.write_text(json.dumps({"config": config, "runs": [{"method": "random:keep_rate=0.5", "seed": 0}]}))
    with pytest.raises(ParameterError, match=r"--resume must keep .* got methods: 'random:keep_rate=0.5' in .* is "
                                             r"'random:keep_rate=.5' in this command, spelled another way"):
        check_resume(path, {**config, "methods": ["random:keep_rate=.5"]}, resume=True)
    check_resume(path, {**config, "methods": ["random:keep_rate=0.5", "random:keep_rate=0.25"]}, resume=True)
    base = dict(task="translation", lr=5e-3, seeds=[0])
    parts = [_part(tmp_path / "a", **base, methods=["uniform"]),
             _part(tmp_path / "b", **{**base, "seeds": [1]}, methods=["autoassist:lr=1"]),
             _part(tmp_path / "c", **{**base, "seeds": [2]}, methods=["autoassist:lr=1.0"])]
    with pytest.raises(ParameterError, match=r"'autoassist:lr=1' in .*b is 'autoassist:lr=1.0' in .*c, spelled"):
        merge_results(tmp_path / "no", parts)
    assert not (tmp_path / "no").exists()


def _svm_part(folder: Path) -> Path:
    """The structure `autoassist bench svm` writes: no task in the config, one entry per lambda."""
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps({"config": {"n_train": 10, "seeds": [0], "sv_tolerance": 1e-6},
                                                     "hardware": {}, "runs": [{"lambda": 0.1, "methods": {}}]}))
    return folder


@pytest.mark.parametrize(("text", "problem"), [
    ("not json", r"which is not JSON \(Expecting value at line 1, column 1\)"),
    ("[1, 2]", "which holds an array, not an object"),
    ('{"foo": 1}', 'which has no "config" object'),
    ('{"config": {"dataset": "mnist1d"}}', 'which has no "runs" list'),
    ('{"config": {"lr": 1}, "runs": []}', 'whose config names neither a "task" nor a "dataset"'),
    ('{"config": {"dataset": "mnist1d"}, "runs": [{"seed": 0}]}',
     r"whose runs\[0\] is not a finished run \(it needs a method name"),
])
@pytest.mark.parametrize("resume", [True, False])
def test_a_results_json_autoassist_did_not_write_is_refused_with_or_without_resume(
        tmp_path: Path, text: str, problem: str, resume: bool) -> None:
    path = tmp_path / "results.json"
    path.write_text(text)
    with pytest.raises(ParameterError, match=f"--out must be a folder without results.json or with one an autoassist "
                                             rf"benchmark wrote; got {path}, {problem}.*\. Move that file away"):
        check_resume(path, {"dataset": "mnist1d", "seeds": [0]}, resume=resume)
    assert path.read_text() == text


def test_resume_refuses_results_of_another_kind_and_a_fresh_run_says_what_it_replaces(tmp_path: Path) -> None:
    svm = _svm_part(tmp_path / "svm") / "results.json"
    image = {"dataset": "mnist1d", "lr": 0.05, "seeds": [0], "methods": ["uniform"]}
    with pytest.raises(ParameterError, match=r"--resume must continue results of this benchmark \(`autoassist bench "
                                             r"image` or `demo`\); got .*svm/results.json, which holds results of "
                                             "`autoassist bench svm`"):
        check_resume(svm, image, resume=True)
    lines: list[str] = []
    check_resume(svm, image, resume=False, log=lines.append)
    assert "holds the results of `autoassist bench svm` (regularisation strengths: 1): this benchmark replaces" \
        in lines[0]
    translation = _part(tmp_path / "t", task="translation", lr=0.05, seeds=[0])
    with pytest.raises(ParameterError, match="got .*t/results.json, which holds results of `autoassist bench "
                                             "translate`"):
        check_resume(translation / "results.json", image, resume=True)


def test_a_repeated_seed_method_or_protocol_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    for key, flag, values in (("seeds", "--seeds", [0, 0]), ("methods", "--methods", ["uniform", "a", "uniform"]),
                              ("protocols", "--protocols", ["budget", "budget"])):
        with pytest.raises(ParameterError, match=f"{flag} must be values without repeats"):
            check_resume(tmp_path / "absent.json", {"dataset": "mnist1d", key: values}, resume=False)


def test_load_results_names_the_file_and_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="DIR must be a folder holding results.json .*; got .*, which holds no "
                                             "results.json"):
        load_results(tmp_path)
    (tmp_path / "results.json").write_text("{")
    with pytest.raises(ParameterError, match=r"got .*results.json, which is not JSON \(Expecting"):
        load_results(tmp_path)


def test_merge_refuses_a_run_held_twice_and_svm_results_and_writes_nothing(tmp_path: Path) -> None:
    def runs(*seeds: int) -> list[dict[str, Any]]:
        return [{"protocol": "budget", "method": "uniform", "seed": s, "fraction": 1.0} for s in seeds]

    base = dict(task="translation", lr=5e-3)
    both = _part(tmp_path / "g01", **base, seeds=[0, 1])
    one = _part(tmp_path / "g1", **base, seeds=[1])
    two = _part(tmp_path / "g2", **base, seeds=[2])
    for folder, seeds in ((both, (0, 1)), (one, (1,)), (two, (2,))):
        (folder / "results.json").write_text(json.dumps({"config": {**base, "seeds": list(seeds)}, "hardware": {},
                                                         "runs": runs(*seeds)}))
    assert [r["seed"] for r in combine_results([both, two])["runs"]] == [0, 1, 2]
    with pytest.raises(ParameterError, match=r"each run once; got the run uniform seed 1 at fraction 1 in both "
                                             r".*g01 and .*g1\. "):
        merge_results(tmp_path / "no", [both, one])
    with pytest.raises(ParameterError, match=r"in both .*g1 and .*g1 \(one folder given twice\)"):
        merge_results(tmp_path / "no", [one, one])
    svm = _svm_part(tmp_path / "svm")
    with pytest.raises(ParameterError, match=r"DIR must be folders of image or translation results .*; got "
                                             r".*svm, which holds results of `autoassist bench svm`"):
        merge_results(tmp_path / "no", [svm, svm])
    assert not (tmp_path / "no").exists()
