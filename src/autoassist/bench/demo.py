"""``autoassist demo``: the same model trained with uniform batches and with AutoAssist, side by side.

``--task image`` (the default), three runs: uniform, the paper's AutoAssist, and AutoAssist with the loss-history Assistant (the
default of :class:`autoassist.AutoAssist`). Same seed, same number of Boss steps; prints a table and writes ``results.json`` and ``demo.png``
(test accuracy against wall time and against Boss steps) to ``--out``. With no arguments it runs on
MNIST-1D, generated locally, in well under three minutes on two CPU cores.

``--task translation``: a small Transformer on the synthetic translation corpus (generated locally, no
files), uniform token batches against AutoAssist with the paper's text Assistant and the official
translation rules, same seed and Boss steps; validation BLEU (greedy) along the runs, test BLEU (beam
search) at the end, in under three minutes on two CPU cores.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from autoassist._errors import fail
from autoassist.bench.image import add_arguments, config_from_args, run_benchmark


def demo_table(results: dict[str, Any]) -> str:
    """Plain-text table: one row per method."""
    s = results["summary"]
    width = max(12, *(len(name) for name in results["methods"]))
    lines = [f"{'method':<{width}} {'test acc %':>10} {'back-prop inst.':>16} {'Boss steps':>10} {'wall s':>8} "
             f"{'keep rate':>9} {'time to target s':>17}"]
    for name, m in results["methods"].items():
        ttt = (("no target" if s["target_undefined"] else "not reached") if m["time_to_target_s"] is None
               else f"{m['time_to_target_s']:.1f}")
        lines.append(f"{name:<{width}} {100 * m['final_test_accuracy']:>10.2f} {m['backprop_instances']:>16.0f} "
                     f"{m['boss_steps']:>10.0f} {m['wall_time_s']:>8.1f} {m['keep_rate']:>9.2f} {ttt:>17}")
    said = f"uniform's final test accuracy minus {results['config']['tolerance']:g} points"
    lines.append(f"Target: {said} = {100 * s['target_accuracy']:.2f}%." if s["target_undefined"] is None else
                 f"Target: {said} is not defined ({s['target_undefined']}): no time to target is reported.")
    return "\n".join(lines)


def plot_demo(results: dict[str, Any], path: Path) -> None:
    """The image demo's plot: each method's test accuracy against training wall time and Boss steps."""
    target = results["summary"]["target_accuracy"]
    plot_curves(path, [(name, m["curves"]) for name, m in results["methods"].items()], "test_accuracy",
                target=None if target is None else 100 * target, ylabel="test accuracy (%)", scale=100,
                title=f"autoassist demo: {results['config']['dataset']} / {results['config']['model']}")


def plot_translation_demo(results: dict[str, Any], path: Path) -> None:
    """The translation demo's plot: each full run's validation BLEU against training wall time and Boss steps."""
    full = [(r["method"], r["curves"]) for r in results["runs"] if float(r["fraction"]) == 1.0]
    plot_curves(path, full, "val_bleu", target=results["summary"]["target_bleu"], ylabel="validation BLEU (greedy)",
                title=f"autoassist demo: translation, {results.get('corpus', '?')}")


def plot_curves(path: Path, curves: list[tuple[str, dict[str, list[Any]]]], metric: str, *, target: float | None,
                ylabel: str, title: str, scale: float = 1.0) -> None:
    """Both demos' plot: each run's ``metric`` (times ``scale``) against training wall time and Boss steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, curve in curves:
        ys = [scale * v for v in curve[metric]]
        axes[0].plot(curve["wall_time_s"], ys, marker=".", label=name)
        axes[1].plot(curve["step"], ys, marker=".", label=name)
    for ax, label in zip(axes, ("training wall time (s)", "Boss steps")):
        if target is not None:
            ax.axhline(target, color="k", ls="--", lw=0.8)
        ax.set_xlabel(label)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def translation_demo_table(results: dict[str, Any]) -> str:
    """Plain-text table of the translation demo: one row per method."""
    from autoassist.bench.translation_report import target_text

    s = results["summary"]
    rows = [r for r in s["rows"] if r["fraction"] == 1.0]
    width = max(12, *(len(r["method"]) for r in rows))
    lines = [f"{'method':<{width}} {'test BLEU':>9} {'val BLEU':>8} {'back-prop sent.':>15} {'Boss steps':>10} "
             f"{'wall s':>8} {'keep rate':>9} {'time to target s':>17}"]
    for r in rows:
        ttt = (("no target" if s["target_undefined"] else "not reached") if r["time_to_target_s"] is None
               else f"{r['time_to_target_s']:.1f}")
        lines.append(f"{r['method']:<{width}} {r['test_bleu']:>9.2f} {r['final_val_bleu']:>8.2f} "
                     f"{r['backprop_instances']:>15.0f} {r['boss_steps']:>10.0f} {r['wall_time_s']:>8.1f} "
                     f"{r['keep_rate']:>9.2f} {ttt:>17}")
    lines.append(f"Target: {target_text(s)}. Test BLEU: beam {results['config']['beam_size']}, "
                 f"sacreBLEU {s['sacrebleu_signature']}.")
    return "\n".join(lines)


# The translation demo's sizes (a width-64 Transformer, 2+2 layers, Adam 2e-3): measured on the busy 2-core
# machine with another process beside it, 5 epochs took 102 s in all and reached validation BLEU 11-13.
TRANSLATION_DEMO: dict[str, float] = {
    "synthetic_train": 5000, "epochs": 7.0, "max_tokens": 1024, "warmup_steps": 50, "lr": 2e-3, "d_model": 64,
    "d_ff": 256, "val_sentences": 150, "test_sentences": 150, "beam_size": 2, "eval_points": 6,
    "vocab_size": 1000, "tolerance": 0.5}


# Options of the image demo alone (the translation demo's model, batches and schedule are its own), and the
# options both demos take with a default of each task's; all default to None here so that a value the user gives
# is never mistaken for the default.
IMAGE_ONLY = {"dataset": "--dataset", "data_dir": "--data-dir", "model": "--model", "batch_size": "--batch-size",
              "schedule": "--schedule", "warmup_fraction": "--warmup-fraction", "clip_grad_norm": "--clip-grad-norm",
              "weight_decay": "--weight-decay"}
# Options of the translation demo alone (the image demo has no use for them), and what they set.
TRANSLATION_ONLY = {"synthetic_train": "--synthetic-train", "max_tokens": "--max-tokens",
                    "val_sentences": "--val-sentences", "test_sentences": "--test-sentences", "beam_size": "--beam-size"}
TRANSLATION_HELP = {"synthetic_train": "training pairs of the synthetic corpus", "max_tokens": "padded tokens per batch",
                    "val_sentences": "validation sentences", "test_sentences": "test sentences",
                    "beam_size": "beam of the test BLEU"}
PER_TASK = {"epochs": ("the dataset's (mnist1d 30)", TRANSLATION_DEMO["epochs"]),
            "lr": ("0.05 (cifar10 0.1)", TRANSLATION_DEMO["lr"]), "tolerance": ("0", TRANSLATION_DEMO["tolerance"]),
            "eval_points": (None, TRANSLATION_DEMO["eval_points"]), "threads": ("0 (all cores)", 1)}


class _DemoArguments:
    """What :func:`autoassist.bench.image.add_arguments` adds the demo's arguments to: each goes to ``parser`` as
    given, except that an option of the image demo alone (``IMAGE_ONLY``) or with a default of each task's
    (``PER_TASK``) gets a help that says so and the default None; its image default is kept in ``image_defaults``."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.parser = parser
        self.image_defaults: dict[str, Any] = {}

    def add_argument(self, *flags: str, **kwargs: Any) -> argparse.Action:
        dest = flags[0].lstrip("-").replace("-", "_")   # argparse's dest of a long option
        text, default = kwargs.get("help") or "", kwargs.get("default")
        if dest in IMAGE_ONLY:
            kwargs["help"] = (text + " (image only" + (")" if "default" in text else f"; default: {default})")).lstrip()
        elif dest in PER_TASK:
            image, translation = PER_TASK[dest]
            kwargs["help"] = (f"{text.split(' (default')[0]} (default: image {default if image is None else image}; "
                              f"translation {translation:g})")
        else:
            return self.parser.add_argument(*flags, **kwargs)
        self.image_defaults[dest] = default
        return self.parser.add_argument(*flags, **{**kwargs, "default": None})


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``autoassist demo``."""
    parser.add_argument("--task", choices=["image", "translation"], default="image",
                        help="image: MNIST-1D (or --dataset); translation: the synthetic translation corpus")
    arguments = _DemoArguments(parser)
    add_arguments(arguments, demo=True)
    parser.set_defaults(image_defaults=arguments.image_defaults)
    group = parser.add_argument_group("translation (--task translation)")
    # default None (TRANSLATION_DEMO's value is filled in by the translation demo) so that one given with
    # --task image is refused rather than ignored
    for dest, flag in TRANSLATION_ONLY.items():
        group.add_argument(flag, type=int, default=None,
                           help=f"{TRANSLATION_HELP[dest]} (translation only; default: {int(TRANSLATION_DEMO[dest])})")


def _translation_config(args: argparse.Namespace) -> Any:
    from autoassist.bench.translation import DEMO_METHODS, TranslationBenchConfig

    given = [(flag, getattr(args, dest)) for dest, flag in IMAGE_ONLY.items() if getattr(args, dest, None) is not None]
    if given:
        raise fail(given[0][0], "left out with --task translation (it sets the image demo)", str(given[0][1]),
                   "The translation demo bounds batches by --max-tokens and uses its own model and schedule; drop "
                   + ", ".join(flag for flag, _ in given) + ".")
    d = TRANSLATION_DEMO

    def chosen(dest: str) -> Any:
        value = getattr(args, dest, None)
        return PER_TASK[dest][1] if value is None else value

    def own(dest: str) -> int:
        value = getattr(args, dest)
        return int(d[dest]) if value is None else value

    return TranslationBenchConfig(
        synthetic_train=own("synthetic_train"), vocab_size=int(d["vocab_size"]), limit_train=args.limit_train,
        val_sentences=own("val_sentences"), test_sentences=own("test_sentences"), methods=DEMO_METHODS,
        seeds=tuple(args.seeds), epochs=float(chosen("epochs")), tolerance=float(chosen("tolerance")),
        max_tokens=own("max_tokens"), lr=float(chosen("lr")), warmup_steps=int(d["warmup_steps"]),
        beam_size=own("beam_size"), d_model=int(d["d_model"]), d_ff=int(d["d_ff"]),
        eval_points=int(chosen("eval_points")), lag=args.lag, threads=int(chosen("threads")),
        synchronous=args.synchronous, device=args.device)


def run_translation(args: argparse.Namespace) -> int:
    from autoassist.bench.translation import run_benchmark as run_translation_benchmark

    cfg = _translation_config(args)
    out = Path(args.out or "runs/demo-translation")
    results = run_translation_benchmark(cfg, out, resume=args.resume)   # checks everything before it writes
    plot_translation_demo(results, out / "demo.png")
    print(translation_demo_table(results))
    print(f"Wrote {out / 'results.json'} and {out / 'demo.png'}.")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.task == "translation":
        return run_translation(args)
    given = [(flag, getattr(args, dest)) for dest, flag in TRANSLATION_ONLY.items() if getattr(args, dest) is not None]
    if given:
        raise fail(given[0][0], "left out with --task image (it sets the translation demo)", str(given[0][1]),
                   "Pass --task translation to run the translation demo, or drop "
                   + ", ".join(flag for flag, _ in given) + ".")
    for dest, default in args.image_defaults.items():  # the image demo's own defaults where none was given
        if getattr(args, dest) is None and dest not in ("epochs", "lr", "tolerance"):  # the dataset's; 0
            setattr(args, dest, default)
    if args.tolerance is None:
        args.tolerance = 0.0
    cfg = config_from_args(args, demo=True)
    out = Path(args.out or f"runs/demo-{cfg.dataset}")
    results = run_benchmark(cfg, out, resume=args.resume)   # checks everything before it writes
    plot_demo(results, out / "demo.png")
    print(demo_table(results))
    print(f"Wrote {out / 'results.json'} and {out / 'demo.png'}.")
    return 0


def main(argv: list[str] | None = None) -> int:
    from autoassist.cli import main as cli_main

    return cli_main(["demo", *(argv or [])])
