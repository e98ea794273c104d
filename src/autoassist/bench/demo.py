"""``autoassist demo``: the same model trained with uniform batches and with AutoAssist, side by side.

Three runs: uniform, the paper's AutoAssist, and AutoAssist with the loss-history Assistant (the
default of :class:`autoassist.AutoAssist`). Same seed, same number of Boss steps; prints a table and writes ``results.json`` and ``demo.png``
(test accuracy against wall time and against Boss steps) to ``--out``. With no arguments it runs on
MNIST-1D, generated locally, in well under three minutes on two CPU cores.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from autoassist.bench.image import add_arguments, check_data_dir, check_writable, config_from_args, run_benchmark


def demo_table(results: dict[str, Any]) -> str:
    """Plain-text table: one row per method."""
    target = results["summary"]["target_accuracy"]
    width = max(12, *(len(name) for name in results["methods"]))
    lines = [f"{'method':<{width}} {'test acc %':>10} {'back-prop inst.':>16} {'Boss steps':>10} {'wall s':>8} "
             f"{'keep rate':>9} {'time to target s':>17}"]
    for name, m in results["methods"].items():
        ttt = "not reached" if m["time_to_target_s"] is None else f"{m['time_to_target_s']:.1f}"
        lines.append(f"{name:<{width}} {100 * m['final_test_accuracy']:>10.2f} {m['backprop_instances']:>16.0f} "
                     f"{m['boss_steps']:>10.0f} {m['wall_time_s']:>8.1f} {m['keep_rate']:>9.2f} {ttt:>17}")
    lines.append(f"Target: uniform's final test accuracy minus {results['config']['tolerance']:g} points = "
                 f"{100 * target:.2f}%.")
    return "\n".join(lines)


def plot_demo(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, m in results["methods"].items():
        acc = [100 * a for a in m["curves"]["test_accuracy"]]
        axes[0].plot(m["curves"]["wall_time_s"], acc, marker=".", label=name)
        axes[1].plot(m["curves"]["step"], acc, marker=".", label=name)
    for ax, label in zip(axes, ("training wall time (s)", "Boss steps")):
        ax.axhline(100 * results["summary"]["target_accuracy"], color="k", ls="--", lw=0.8)
        ax.set_xlabel(label)
        ax.set_ylabel("test accuracy (%)")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(f"autoassist demo: {results['config']['dataset']} / {results['config']['model']}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``autoassist demo``."""
    add_arguments(parser, demo=True)
    parser.set_defaults(tolerance=0.0)


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(args, demo=True)
    out = Path(args.out or f"runs/demo-{cfg.dataset}")
    check_data_dir(cfg.dataset, cfg.data_dir)
    check_writable(out)
    results = run_benchmark(cfg, out, resume=args.resume)
    plot_demo(results, out / "demo.png")
    print(demo_table(results))
    print(f"Wrote {out / 'results.json'} and {out / 'demo.png'}.")
    return 0


def main(argv: list[str] | None = None) -> int:
    from autoassist.cli import main as cli_main

    return cli_main(["demo", *(argv or [])])
