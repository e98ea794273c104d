"""``autoassist bench image``: every method, side by side, in one run, under both protocols.

(a) **budget to target** (the paper's question): each method trains with a fraction of the uniform
run's Boss-step budget, the learning-rate schedule compressed to it; the smallest fraction whose
median final accuracy still reaches uniform's full-budget accuracy minus ``--tolerance`` points
(at that fraction and every larger one tried) is the method's budget to target.
(b) **fixed passes** (InfoBatch's protocol): each method walks ``--epochs`` passes over the data with
the schedule driven by the fraction of candidates scanned; cheaper passes show as fewer Boss steps.

Results go to ``--out/results.json`` after every finished run (an interrupted benchmark keeps what
finished, and ``--resume`` skips it); ``table.md`` and the PNGs are made from the JSON alone.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

import torch

from autoassist._errors import check_float, check_int, fail
from autoassist.bench.harness import (PlannedRun, Progress, check_device, check_resume, check_seeds, describe_hardware,
                                     mark_target, plan_runs, prepare, report_results, run_planned)
from autoassist.bench.methods import METHOD_HELP, parse_method, parse_options
from autoassist.bench.report import plot_results
from autoassist.bench.runner import TrainConfig, check_method, train_run
from autoassist.models import MODEL_OPTIONS


@dataclass
class BenchConfig:
    """Typed settings of one benchmark (saved in results.json)."""

    dataset: str = "mnist1d"
    data_dir: str | None = None
    model: str | None = None
    methods: tuple[str, ...] = ("uniform", "autoassist")
    seeds: tuple[int, ...] = (0,)
    epochs: float = 5.0
    fractions: tuple[float, ...] = (1.0,)
    protocols: tuple[str, ...] = ("budget",)
    tolerance: float = 0.2
    batch_size: int = 128
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    schedule: str = "cosine"
    warmup_fraction: float = 0.02
    clip_grad_norm: float | None = 5.0
    lag: int = 2
    eval_points: int = 12
    threads: int = 0
    device: str = "cpu"
    limit_train: int | None = None
    synchronous: bool = False


class ArgumentAdder(Protocol):
    """What :func:`add_arguments` adds arguments to: an ``argparse.ArgumentParser`` or a wrapper of one (the demo's
    sets per-task help and defaults)."""

    def add_argument(self, *flags: str, **kwargs: Any) -> Any: ...


def add_arguments(p: ArgumentAdder, *, demo: bool = False) -> None:
    d = BenchConfig()
    p.add_argument("--dataset", default="mnist1d", choices=["mnist1d", "fashion-mnist", "mnist", "cifar10"])
    p.add_argument("--data-dir", default=None,
                   help="folder with the dataset's files (not needed for mnist1d; default: none)")
    p.add_argument("--model", default=None,
                   help="cnn, conv1d, mlp or resnet20, with options as cnn:width=16 (default: the dataset's)")
    p.add_argument("--out", default=None, help="output folder (default: runs/<command>-<dataset>)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0], help="one run per seed and method")
    p.add_argument("--epochs", type=float, default=None,
                   help="uniform's budget in epochs of ceil(N/B) steps (default: the dataset's: mnist1d 30, "
                        "fashion-mnist 5, mnist 3, cifar10 30)")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help="instances per Boss step")
    p.add_argument("--lr", type=float, default=None,
                   help="peak learning rate" + (" (image: SGD with Nesterov momentum; translation: Adam)" if demo else
                                                " of SGD with Nesterov momentum (default: 0.05; cifar10 0.1)"))
    p.add_argument("--schedule", default=d.schedule, choices=["cosine", "linear", "constant"],
                   help="learning-rate schedule after the warm-up")
    p.add_argument("--warmup-fraction", type=float, default=d.warmup_fraction,
                   help="linear learning-rate warm-up over this fraction of each run")
    p.add_argument("--clip-grad-norm", type=float, default=d.clip_grad_norm,
                   help="clip the gradient norm of every Boss step (0: off)")
    p.add_argument("--lag", type=int, default=d.lag,
                   help="AutoAssist's lag: batch t+lag is assembled after the feedback of step t is learned")
    p.add_argument("--weight-decay", type=float, default=d.weight_decay, help="SGD weight decay")
    p.add_argument("--tolerance", type=float, default=d.tolerance,
                   help="points below uniform's accuracy (default: 0.2; the demo 0)")
    p.add_argument("--eval-points", type=int, default=d.eval_points, help="test evaluations along each run")
    p.add_argument("--threads", type=int, default=0, help="torch threads" + ("" if demo else " (0: all cores)"))
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--limit-train", type=int, default=None,
                   help="train on N instances: MNIST-1D generates N (default: 4000); a dataset read from files keeps "
                        "a random subset of N drawn from the seed (default: all)")
    p.add_argument("--synchronous", action="store_true", help="run selectors inline (deterministic, slower)")
    p.add_argument("--resume", action="store_true", help="skip runs already in --out/results.json")
    if not demo:
        p.add_argument("--methods", nargs="+", default=["uniform", "random:keep_rate=0.6", "autoassist", "infobatch",
                                                        "selective_backprop", "importance", "oracle"],
                       help="method specs name[:key=value,...]; names: " + "; ".join(
                           f"{k}: {v}" for k, v in METHOD_HELP.items()))
        p.add_argument("--fractions", type=float, nargs="+", default=[0.5, 0.6, 0.7, 0.8, 1.0],
                       help="fractions of uniform's Boss-step budget (budget protocol)")
        p.add_argument("--protocols", nargs="+", default=["budget", "passes"], choices=["budget", "passes"],
                       help="budget: budget to target; passes: InfoBatch's fixed number of passes")


# The demo: uniform, the paper's AutoAssist, and AutoAssist with the loss-history Assistant (the default of
# the AutoAssist class), all with the same seed and the same number of Boss steps.
DEMO_METHODS = ("uniform", "autoassist:assistant=paper", "autoassist")

DATASET_DEFAULTS: dict[str, dict[str, Any]] = {
    "mnist1d": {"epochs": 30.0, "lr": 0.05},
    "fashion-mnist": {"epochs": 5.0, "lr": 0.05},
    "mnist": {"epochs": 3.0, "lr": 0.05},
    "cifar10": {"epochs": 30.0, "lr": 0.1},
}


def config_from_args(args: argparse.Namespace, *, demo: bool = False) -> BenchConfig:
    defaults = DATASET_DEFAULTS[args.dataset]
    return BenchConfig(
        dataset=args.dataset, data_dir=args.data_dir, model=args.model,
        methods=DEMO_METHODS if demo else tuple(args.methods),
        seeds=tuple(args.seeds), epochs=args.epochs if args.epochs is not None else defaults["epochs"],
        fractions=(1.0,) if demo else tuple(sorted(set(args.fractions), reverse=True)),
        protocols=("budget",) if demo else tuple(args.protocols), tolerance=args.tolerance,
        batch_size=args.batch_size, lr=args.lr if args.lr is not None else defaults["lr"],
        weight_decay=args.weight_decay, schedule=args.schedule, warmup_fraction=args.warmup_fraction,
        clip_grad_norm=args.clip_grad_norm or None, lag=args.lag,
        eval_points=args.eval_points, threads=args.threads, device=args.device, limit_train=args.limit_train,
        synchronous=args.synchronous,
    )


def validate(cfg: BenchConfig) -> None:
    """Refuse a bad option by its command-line name before any data is loaded or anything is written."""
    check_device(cfg.device)
    check_float("--epochs", cfg.epochs, positive=True, fix="It is the passes each run trains for, e.g. --epochs 3.")
    for f in cfg.fractions:
        if not 0 < f <= 1:
            raise fail("--fractions", "values in (0, 1]", f, "Fractions are of uniform's Boss-step budget.")
    check_float("--lr", cfg.lr, positive=True, fix="It is the optimiser's peak learning rate, e.g. --lr 0.1.")
    check_float("--weight-decay", cfg.weight_decay, nonnegative=True, fix="0 switches weight decay off.")
    check_float("--tolerance", cfg.tolerance, nonnegative=True,
                fix="The target is uniform's final test accuracy minus this many points, e.g. --tolerance 0.5.")
    if cfg.clip_grad_norm is not None:
        check_float("--clip-grad-norm", cfg.clip_grad_norm, nonnegative=True, fix="0 switches clipping off.")
    if not 0.0 <= cfg.warmup_fraction < 1.0:
        raise fail("--warmup-fraction", "in [0, 1)", cfg.warmup_fraction, "It is the fraction of each run warmed up.")
    for option, value, least, fix in (
            ("--batch-size", cfg.batch_size, 1, "It is the instances per Boss step, e.g. --batch-size 128."),
            ("--lag", cfg.lag, 1, "Batch t+lag is assembled after step t's feedback is learned; the default is 2."),
            ("--eval-points", cfg.eval_points, 1, "It is how many evaluations each run makes, e.g. --eval-points 10."),
            ("--threads", cfg.threads, 0, "0 uses every core."),
            ("--limit-train", cfg.limit_train, 1, "Leave it out to train on the whole training split.")):
        if value is not None:
            check_int(option, value, minimum=least, fix=fix)
    check_seeds(cfg.seeds)
    if cfg.model is not None:
        model = parse_options(cfg.model, "--model")
        if model.name not in MODEL_OPTIONS:
            raise fail("--model", "one of " + ", ".join(MODEL_OPTIONS) + " (optionally with :key=value)", cfg.model)
        for key, value in model.options.items():
            if key not in MODEL_OPTIONS[model.name]:
                raise fail("--model", f"options among {sorted(MODEL_OPTIONS[model.name])} for {model.name}", cfg.model)
            check_int(f"--model {model.name}:{key}", value, minimum=1, fix=f"For example {model.name}:{key}=16.")
    # each method built once per protocol it runs in, on a placeholder dataset: a bad option fails now, not after
    # the runs listed before it
    for spec in cfg.methods:
        method = parse_method(spec)
        if method.name == "infobatch" and "passes" not in cfg.protocols:
            raise fail("--methods", "methods that run in one of --protocols " + " ".join(cfg.protocols), spec,
                       "InfoBatch prunes whole passes: it runs in the passes protocol only; add --protocols passes.")
        for protocol in cfg.protocols:
            if protocol == "budget" and method.name == "infobatch":
                continue
            check_method(method, TrainConfig(batch_size=cfg.batch_size, lag=cfg.lag, total_steps=100,
                                             num_passes=cfg.epochs if protocol == "passes" else None))


def run_benchmark(cfg: BenchConfig, out_dir: Path, *, resume: bool = False,
                  log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run every (protocol, fraction, seed, method) of ``cfg``; write results after each run."""
    from autoassist.data.datasets import load_dataset
    from autoassist.models import build_model, default_model_for

    validate(cfg)
    model_name = cfg.model or default_model_for(cfg.dataset)
    cfg.model = model_name
    check_data_dir(cfg.dataset, cfg.data_dir)
    kept = check_resume(out_dir / "results.json", asdict(cfg), resume=resume, log=log)   # the one read of the file
    start = time.perf_counter()
    data = load_dataset(cfg.dataset, cfg.data_dir, limit_train=cfg.limit_train)
    model_spec = parse_options(model_name, "--model")
    sample = data.x_train[:1]
    in_channels = int(sample.shape[1])

    def make_model() -> torch.nn.Module:
        return build_model(model_spec.name, num_classes=data.num_classes, in_channels=in_channels,
                           input_shape=tuple(sample.shape[1:]), **model_spec.options)

    n = len(data.x_train)
    # what needs the data, checked before --out is created: the model fits the inputs, a batch fits the data
    try:
        make_model()
    except ValueError as error:
        raise fail("--model", f"a model for {cfg.dataset}'s inputs of shape {tuple(sample.shape[1:])}", model_name,
                   f"({error}) The default for {cfg.dataset} is {default_model_for(cfg.dataset)}.") from None
    if cfg.batch_size > n:
        raise fail("--batch-size", f"at most the training instances ({n})", cfg.batch_size,
                   "Lower --batch-size or raise --limit-train.")
    prepare(out_dir, cfg.threads)
    full_steps = int(round(cfg.epochs * math.ceil(n / cfg.batch_size)))
    log(f"{cfg.dataset}: {n} training / {len(data.x_test)} test instances, model {model_name}, "
        f"uniform budget {full_steps} Boss steps ({cfg.epochs:g} epochs of {math.ceil(n / cfg.batch_size)}); "
        f"data loaded in {time.perf_counter() - start:.1f}s")
    results: dict[str, Any] = {"config": asdict(cfg), "hardware": describe_hardware(cfg.device), "runs": []}
    # InfoBatch prunes whole passes: it runs in the passes protocol only
    plan = plan_runs(cfg.methods, cfg.seeds, cfg.fractions, cfg.protocols,
                     skip=lambda protocol, spec: protocol == "budget" and parse_method(spec).name == "infobatch")
    runs = _ImageRuns(cfg, data, make_model, full_steps)
    return run_planned(runs, plan, results, out_dir / "results.json", finalize, kept=kept, log=log)


@dataclass
class _ImageRuns:
    """The image benchmark's side of :func:`run_planned`: one Boss trained by :func:`train_run` per run."""

    cfg: BenchConfig
    data: Any
    make_model: Callable[[], torch.nn.Module]
    full_steps: int

    def train_config(self, run: PlannedRun) -> TrainConfig:
        cfg = self.cfg
        return TrainConfig(
            batch_size=cfg.batch_size, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay,
            schedule=cfg.schedule, warmup_fraction=cfg.warmup_fraction, clip_grad_norm=cfg.clip_grad_norm,
            lag=cfg.lag, total_steps=max(1, int(round(run.fraction * self.full_steps))),
            num_passes=cfg.epochs if run.protocol == "passes" else None, eval_points=cfg.eval_points,
            seed=run.seed, device=cfg.device, asynchronous=not cfg.synchronous,
        )

    def label(self, run: PlannedRun) -> str:
        budget = run.protocol == "budget"
        return f"{run.protocol} {run.spec} seed={run.seed}" + (f" x{run.fraction:g}" if budget else "")

    def total_steps(self, run: PlannedRun) -> int | None:
        return self.train_config(run).total_steps if run.protocol == "budget" else None

    def train(self, run: PlannedRun, results: dict[str, Any], progress: Progress) -> dict[str, Any]:
        record = train_run(parse_method(run.spec), self.data, self.make_model, self.train_config(run),
                           progress=progress)
        record["fraction"] = run.fraction
        record["dataset"] = self.cfg.dataset
        record["model"] = self.cfg.model
        return record

    def outcome(self, record: dict[str, Any]) -> str:
        return (f"test accuracy {100 * record['final_test_accuracy']:.2f}%, {record['boss_steps']} steps, "
                f"{record['wall_time_s']:.1f}s, keep rate {record['selector_stats'].get('keep_rate', 1.0):.2f}")


def finalize(results: dict[str, Any]) -> None:
    """Add each run's ``time_to_target_s`` and a per-method view of the full-budget runs (median over seeds)."""
    from autoassist.bench.report import summarize

    summary = summarize(results)
    mark_target(results["runs"], summary["target_accuracy"], name="target_accuracy", metric="test_accuracy")
    methods: dict[str, Any] = {}
    for row in summary["rows"]:
        if row["fraction"] != 1.0:
            continue
        first = next(r for r in results["runs"] if r["protocol"] == row["protocol"] and r["method"] == row["method"]
                     and r.get("fraction", 1.0) == 1.0)
        methods[f"{row['method']} ({row['protocol']})" if row["protocol"] != "budget" else row["method"]] = {
            **{k: row[k] for k in ("final_test_accuracy", "wall_time_s", "boss_steps", "backprop_instances",
                                   "forward_instances", "time_to_target_s", "keep_rate", "seeds")},
            "curves": first["curves"], "config": first["config"], "hardware": results["hardware"],
        }
    results["methods"] = methods
    results["summary"] = summary


def check_data_dir(dataset: str, data_dir: str | None) -> None:
    """Fail before anything is written if a dataset that needs files has no existing ``--data-dir``."""
    if dataset == "mnist1d":
        return
    if data_dir is None or not Path(data_dir).exists():
        from autoassist.data.datasets import load_dataset

        load_dataset(dataset, data_dir)  # raises the loader's own clear error


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``autoassist bench image``."""
    add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    out = Path(args.out or f"runs/bench-{cfg.dataset}")
    run_benchmark(cfg, out, resume=args.resume)   # every check before it reads or writes anything
    report_results(out, plot_results)
    return 0


def main(argv: list[str] | None = None) -> int:
    from autoassist.cli import main as cli_main

    return cli_main(["bench", "image", *(argv or [])])
