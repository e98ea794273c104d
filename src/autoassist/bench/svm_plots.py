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
    return "never" if value is None else f"{value / scale:.{digits}g}"


def _spread(values: list[float | None], scale: float = 1.0) -> str:
    """``min-max`` over seeds ('never' for a seed that did not get there)."""
    if len(values) < 2:
        return ""
    lo, hi = min(values, key=_key), max(values, key=_key)
    if lo == hi:
        return ""
    return f" ({_fmt(lo, scale)}–{_fmt(hi, scale)})"


def _key(value: float | None) -> float:
    return np.inf if value is None else value


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}x"


def _load(results: dict[str, Any]) -> str:
    """How busy the machine was as the run started, where the results recorded it (older ones did not)."""
    load = results["hardware"].get("load_average_1min")
    return "load not recorded" if load is None else f"1-minute load average {load:g} at the start"


def lambda_labels(lambdas: list[float]) -> list[str]:
    """Each lambda with the fewest significant digits, from 3, that tell the lambdas apart (``bench svm`` refuses
    lambdas equal at 7 digits, the precision of its results.json): for headings and the plots' file names."""
    for digits in range(3, 17):
        labels = [f"{lam:.{digits}g}" for lam in lambdas]
        if len(set(labels)) == len(labels):
            return labels
    return [repr(lam) for lam in lambdas]


def _unfinished(run: dict[str, Any], seeds: int) -> list[str]:
    """A line naming the methods of ``run`` whose seeds were not all run (an interrupted benchmark), if any."""
    waiting = run.get("unfinished", {})
    if not waiting:
        return []
    return ["Not finished (interrupted; rerun with --resume to finish): " + ", ".join(
        f"{name} ({len(u['seeds'])} of {seeds} seeds)" for name, u in waiting.items()) + ".", ""]


def table(results: dict[str, Any]) -> str:
    """Markdown: first time below vs staying below each target, ratios to the baseline and to the limit."""
    n = results["config"]["n_train"]
    lines = [f"Data: `{Path(results['config']['data']).name}`, n = {n}, {results['config']['n_features']} features, "
             f"{results['config']['nnz_per_row']:.1f} nonzeros/row; {results['config']['passes']} passes, seeds "
             f"{results['config']['seeds']}; autoassist {results.get('version')} at {results.get('git_commit')}; "
             f"{results['hardware'].get('cpu')}, {results['hardware'].get('cpu_count')} cores ({_load(results)}).", ""]
    labels = lambda_labels([run["lambda"] for run in results["runs"]])
    for run, label in zip(results["runs"], labels):
        f = run["sv_fraction"]
        lines += [f"### lambda = {label} (optimum {run['optimum']:.6f}); support-vector fraction "
                  f"(margin <= 1 at the LIBLINEAR optimum) = {f:.3f}", "",
                  "Relative suboptimality 1e-2: updates (/n) the first time below, and from which it stays below "
                  "(median over seeds, min–max); ratio of updates to stay below to the baseline's (uniform with "
                  "the same averaging) and to the limit (support-vector fraction x baseline); the same for seconds.", "",
                  "| method | upd. first (/n) | upd. stay (/n) | x baseline | x limit | dot prod. stay (/n) | passes stay "
                  "| s first | s stay | s x baseline | upd. stay 1e-3 (/n) | s stay 1e-3 | final rel. subopt. | test acc. |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for name, m in run["methods"].items():
            seeds = m["seeds"]
            lines.append(
                f"| {name} | {_fmt(m['updates_to_1e-2'], n)} | {_fmt(m['updates_to_stay_1e-2'], n)}"
                f"{_spread(seeds['updates_to_stay_1e-2'], n)} | {_ratio(m['updates_to_stay_1e-2_vs_baseline'])} "
                f"| {_ratio(m['updates_to_stay_1e-2_vs_limit'])} | {_fmt(m['margins_to_stay_1e-2'], n)} "
                f"| {_fmt(m['passes_to_stay_1e-2'])} | {_fmt(m['seconds_to_1e-2'])} | {_fmt(m['seconds_to_stay_1e-2'])}"
                f"{_spread(seeds['seconds_to_stay_1e-2'])} | {_ratio(m['seconds_to_stay_1e-2_vs_baseline'])} "
                f"| {_fmt(m['updates_to_stay_1e-3'], n)} | {_fmt(m['seconds_to_stay_1e-3'])} "
                f"| {m['final_rel_subopt']:.2e} | {m['final_test_accuracy']:.4f} |")
        lines.append("")
        lines += _unfinished(run, len(results["config"]["seeds"]))
    lines.append(goals(results))
    lines.append("'never': the median seed was not below the target at (or from some pass to) the end of the run. "
                 "'updates' are steps taken, 'dot products' margins w.x_i computed (importance sampling includes its "
                 "per-pass refresh); seconds are training time only (evaluation excluded), on the machine above. "
                 "sklearn-sgd: SGDClassifier(loss='hinge', alpha=lambda, fit_intercept=False, learning_rate='optimal') "
                 "on X with a column of ones appended, one partial_fit per pass: the same objective.")
    return "\n".join(lines) + "\n"


def goals(results: dict[str, Any], target: str = "1e-2") -> str:
    """Markdown: issue 10's goals per shrinking method, from the medians to *stay* below ``target``.

    The yardstick is the best uniform SGD run present: without averaging or with any averaging power
    (``uniform``, ``uniform-avg``, ``uniform-avg-p15``, ...; not ``uniform-sg``, which is another method),
    whichever stayed below first, so that uniform SGD is tuned as carefully as shrinking: updates <= 0.5x
    (or, where the support-vector fraction f exceeds 0.5, <= 1.5 f), seconds <= 0.7x; and seconds below
    the faster of scikit-learn's SGDClassifier with and without averaging.
    """
    lines = [f"#### Goals (to stay below {target}; yardstick: the best uniform SGD run, any averaging)", "",
             "| method | upd. vs uniform | upd. vs uniform-avg | upd. vs best uniform | goal (<=) | met? "
             "| s vs uniform | s vs uniform-avg | s vs best uniform | <= 0.7x? | s vs better sklearn | beats sklearn? |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for run in results["runs"]:
        methods, f = run["methods"], run["sv_fraction"]
        bound = 0.5 if f <= 0.5 else 1.5 * f
        uniforms = tuple(name for name in methods if name == "uniform" or name.startswith("uniform-avg"))

        def best(names: tuple[str, ...], key: str) -> float | None:
            values = [methods[m][f"{key}_to_stay_{target}"] for m in names if m in methods]
            return min((v for v in values if v is not None), default=None)

        best_sk = best(("sklearn-sgd", "sklearn-sgd-avg"), "seconds")
        ran_sk = any(name in methods for name in ("sklearn-sgd", "sklearn-sgd-avg"))
        for name, m in methods.items():
            if not name.startswith("shrinking"):
                continue
            row = [name]
            verdicts = []
            for key, goal in (("updates", bound), ("seconds", 0.7)):
                mine = m.get(f"{key}_to_stay_{target}")
                ratios = [None if mine is None or best(base, key) is None else mine / best(base, key)  # type: ignore[operator]
                          for base in (("uniform",), ("uniform-avg",), uniforms)]
                row += [_ratio(r) for r in ratios]
                if key == "updates":
                    row.append(f"{bound:.2f}x")
                verdicts.append(ratios[2] is not None and ratios[2] <= goal)
                row.append(_yes(verdicts[-1]) if uniforms else "no uniform run")
            mine_s = m.get(f"seconds_to_stay_{target}")
            row += [_ratio(None if mine_s is None or not best_sk else mine_s / best_sk),
                    _yes(mine_s is not None and (best_sk is None or mine_s < best_sk)) if ran_sk else "no sklearn run"]
            lines.append("| " + " | ".join(row) + " |")
    lines += ["", "'–': a side never stayed below the target within the run ('no uniform run', 'no sklearn run': "
              "the yardstick was not among --methods). Seconds are the benchmark's own, one "
              "method after another (the side-by-side ratios in benchmarks/svm/README.md are the ones to quote).", ""]
    return "\n".join(lines)


def _yes(flag: bool) -> str:
    return "yes" if flag else "**no**"


def _median_curve(curves: list[dict[str, list]], key: str) -> np.ndarray:
    length = min(len(c[key]) for c in curves)
    return np.median(np.array([c[key][:length] for c in curves], dtype=float), axis=0)


_MAIN = ("uniform", "is-loss", "is-gradnorm", "shrinking", "shrinking-paper", "sklearn-sgd")


def _style(name: str) -> str:
    """Solid: a main method; dashed: its averaged twin; dotted: a variant of the study."""
    if name.removesuffix("-avg") not in _MAIN:
        return ":"
    return "--" if name.endswith("-avg") else "-"


def plot_svm(results_dir: str | Path) -> list[Path]:
    """Write ``table.md`` and one PNG per regularisation strength (``svm_lambdaLAMBDA.png``, LAMBDA with the digits
    that tell the strengths apart, :func:`lambda_labels`); return the PNG paths."""
    results_dir = Path(results_dir)
    results = json.loads((results_dir / "results.json").read_text())
    (results_dir / "table.md").write_text(table(results))
    n = results["config"]["n_train"]
    paths = []
    for run, label in zip(results["runs"], lambda_labels([run["lambda"] for run in results["runs"]])):
        if not run["methods"]:   # interrupted before its first method finished all its seeds
            continue
        fig, axes = plt.subplots(1, 4, figsize=(20, 4.5))
        bases = sorted({name.removesuffix("-avg") for name in run["methods"]})
        for name, m in run["methods"].items():
            color = plt.get_cmap("tab20")(bases.index(name.removesuffix("-avg")) % 20)
            rel = np.maximum((_median_curve(m["curves"], "objective") - run["optimum"]) / run["optimum"], 1e-8)
            for ax, key, scale in zip(axes[:3], ("visited", "updates", "seconds"), (n, n, 1.0)):
                ax.semilogy(_median_curve(m["curves"], key) / scale, rel, _style(name), color=color, label=name, lw=1.2)
            accuracy = [c for c in m["curves"] if c["test_accuracy"][0] is not None] or m["curves"]
            axes[3].plot(_median_curve(accuracy, "pass")[1:], _median_curve(
                [dict(c, test_accuracy=c["test_accuracy"][1:]) for c in accuracy], "test_accuracy"),
                _style(name), color=color, label=name, lw=1.2)
        for ax, xlabel in zip(axes, ("instances visited / n", "updates / n", "training seconds", "passes")):
            ax.set_xlabel(xlabel)
            ax.grid(alpha=0.3)
        for ax in axes[:3]:
            ax.set_ylabel("relative primal suboptimality")
            ax.axhline(1e-2, color="grey", lw=0.6)
            ax.axhline(1e-3, color="grey", lw=0.6)
        axes[3].set_ylabel("test accuracy")
        axes[3].legend(fontsize=7)
        fig.suptitle(f"{Path(results['config']['data']).name}, lambda = {label}, support-vector fraction "
                     f"{run['sv_fraction']:.3f} (median over seeds; dashed: averaged iterate)")
        fig.tight_layout()
        path = results_dir / f"svm_lambda{label}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths
