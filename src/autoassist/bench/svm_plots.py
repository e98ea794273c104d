"""Plots and the markdown table for ``autoassist bench svm``; reads ``results.json`` only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _fmt(value: float | None, scale: float = 1.0, digits: int = 3) -> str:
    return "not reached" if value is None else f"{value / scale:.{digits}g}"


def table(results: dict[str, Any]) -> str:
    """Markdown: updates (in passes' worth, i.e. /n), dot products and seconds to each target."""
    n = results["config"]["n_train"]
    lines = []
    for run in results["runs"]:
        lines += [f"### lambda = {run['lambda']:.3g} (optimum {run['optimum']:.6f}, n = {n})", "",
                  "| method | updates to 1e-2 (/n) | dot products to 1e-2 (/n) | seconds to 1e-2 | updates to 1e-3 (/n) "
                  "| dot products to 1e-3 (/n) | seconds to 1e-3 | seconds/pass | final rel. subopt. | test acc. |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for name, m in run["methods"].items():
            lines.append(
                f"| {name} | {_fmt(m['updates_to_1e-2'], n)} | {_fmt(m['margins_to_1e-2'], n)} | {_fmt(m['seconds_to_1e-2'])} "
                f"| {_fmt(m['updates_to_1e-3'], n)} | {_fmt(m['margins_to_1e-3'], n)} | {_fmt(m['seconds_to_1e-3'])} "
                f"| {m['seconds_per_pass'] * 1e3:.2f} ms | {m['final_rel_subopt']:.2e} | {m['final_test_accuracy']:.4f} |")
        lines.append("")
    lines.append("Medians over seeds; a seed that never reached a target counts as infinite. 'updates' are steps taken, "
                 "'dot products' are margins w.x_i computed (importance sampling includes its per-pass refresh).")
    return "\n".join(lines) + "\n"


def _median_curve(curves: list[dict[str, list]], key: str) -> np.ndarray:
    length = min(len(c[key]) for c in curves)
    return np.median(np.array([c[key][:length] for c in curves], dtype=float), axis=0)


def plot_svm(results_dir: str | Path) -> list[Path]:
    """Write ``table.md`` and one PNG per regularisation strength; return the PNG paths."""
    results_dir = Path(results_dir)
    results = json.loads((results_dir / "results.json").read_text())
    (results_dir / "table.md").write_text(table(results))
    n = results["config"]["n_train"]
    paths = []
    for run in results["runs"]:
        fig, axes = plt.subplots(1, 4, figsize=(20, 4.5))
        for k, (name, m) in enumerate(run["methods"].items()):
            color = plt.get_cmap("tab20")(k % 20)
            rel = np.maximum((_median_curve(m["curves"], "objective") - run["optimum"]) / run["optimum"], 1e-8)
            style = "--" if name not in ("uniform", "is-loss", "is-gradnorm", "shrinking", "shrinking-paper",
                                         "sklearn-sgd") else "-"
            for ax, key, scale in zip(axes[:3], ("visited", "updates", "seconds"), (n, n, 1.0)):
                ax.semilogy(_median_curve(m["curves"], key) / scale, rel, style, color=color, label=name, lw=1.2)
            axes[3].plot(_median_curve(m["curves"], "visited") / n, _median_curve(m["curves"], "test_accuracy"), style,
                         color=color, label=name, lw=1.2)
        for ax, xlabel in zip(axes, ("instances visited / n", "updates / n", "seconds", "passes")):
            ax.set_xlabel(xlabel)
            ax.grid(alpha=0.3)
        for ax in axes[:3]:
            ax.set_ylabel("relative primal suboptimality")
            ax.axhline(1e-2, color="grey", lw=0.6)
            ax.axhline(1e-3, color="grey", lw=0.6)
        axes[3].set_ylabel("test accuracy")
        axes[3].legend(fontsize=7)
        fig.suptitle(f"{Path(results['config']['data']).name}, lambda = {run['lambda']:.3g} (median over seeds)")
        fig.tight_layout()
        path = results_dir / f"svm_lambda{run['lambda']:.3g}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths
