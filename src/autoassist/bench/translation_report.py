"""Summary, tables and plots of a translation benchmark, made from its ``results.json`` alone.

The target is uniform's median final validation BLEU (greedy) at the full budget minus the tolerance,
not defined where a run scored as much before training (:func:`autoassist.bench.report.tolerance_target`);
time to target and budget to target are read on the validation curves. Test BLEU (beam search) is
reported beside them.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

from autoassist.bench import curves
from autoassist.bench.report import load_results, method_colors, save_budget_sweep, tolerance_target


def time_to_target(curve: dict[str, list[Any]], target: float, axis: str = "wall_time_s") -> float | None:
    """First value of ``axis`` at which validation BLEU reaches ``target`` (None if never)."""
    return curves.time_to_target(curve, target, axis, metric="val_bleu")


def time_to_stay(curve: dict[str, list[Any]], target: float, axis: str = "wall_time_s") -> float | None:
    """First value of ``axis`` from which validation BLEU stays at or above ``target`` to the end."""
    return curves.time_to_stay(curve, target, axis, metric="val_bleu")


def _median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def summarize(results: dict[str, Any]) -> dict[str, Any]:
    """Medians over seeds per (method, fraction), the target, times to target and budget to target."""
    runs = results.get("runs", [])
    tol = float(results["config"]["tolerance"])
    uniform = [r["final_val_bleu"] for r in runs if r["method"] == "uniform" and float(r["fraction"]) == 1.0]
    target, undefined = tolerance_target(_median(uniform), tol, [r["curves"]["val_bleu"][0] for r in runs
                                                                 if r["curves"]["val_bleu"]],
                                         lambda value: f"{value:.2f} BLEU")
    groups: dict[tuple[str, float], list[dict[str, Any]]] = defaultdict(list)
    for r in runs:
        groups[(r["method"], float(r["fraction"]))].append(r)
    order = {m: i for i, m in enumerate(results["config"].get("methods", []))}
    rows: list[dict[str, Any]] = []
    for (method, fraction), rs in sorted(groups.items(), key=lambda kv: (-kv[0][1], order.get(kv[0][0], 99), kv[0][0])):
        def med(key: str, rs: list[dict[str, Any]] = rs) -> float | None:
            return _median([float(r[key]) for r in rs if r.get(key) is not None])

        first = [time_to_target(r["curves"], target) for r in rs] if target is not None else []
        stay = [time_to_stay(r["curves"], target) for r in rs] if target is not None else []
        first_steps = [time_to_target(r["curves"], target, "step") for r in rs] if target is not None else []
        reached = [t for t in first if t is not None]
        stayed = [t for t in stay if t is not None]
        reached_steps = [t for t in first_steps if t is not None]
        majority = (lambda xs: _median(xs) if len(xs) * 2 > len(rs) else None)
        stats = [r["selector_stats"] for r in rs]
        final = med("final_val_bleu")
        rows.append({
            "method": method, "fraction": fraction, "seeds": len(rs),
            "final_val_bleu": final, "test_bleu": med("test_bleu"),
            "wall_time_s": med("wall_time_s"), "boss_steps": med("boss_steps"),
            "backprop_instances": med("backprop_instances"), "target_tokens": med("target_tokens"),
            "passes": med("passes"),
            "keep_rate": _median([float(s.get("keep_rate", 1.0)) for s in stats]),
            "assistant_accuracy": _median([float(s["assistant_accuracy"]) for s in stats if "assistant_accuracy" in s]),
            "boss_wait_s": med("boss_wait_s"), "boss_step_median_ms": med("boss_step_median_ms"),
            "selector_cpu_s": _median([float(s.get("selector_cpu_seconds", 0.0)) for s in stats]),
            "max_train_loss": max((float(r["max_train_loss"]) for r in rs if r.get("max_train_loss") is not None),
                                  default=None),
            "spiked_runs": sum(1 for r in rs if r.get("spiked")),
            "time_to_target_s": majority(reached), "time_to_stay_s": majority(stayed),
            "steps_to_target": majority(reached_steps),
            "reaches_target": bool(target is not None and final is not None and final >= target),
        })
    budget: dict[str, Any] = {}
    for method in sorted(dict.fromkeys(r["method"] for r in rows), key=lambda m: order.get(m, 99)):
        mine = sorted((r for r in rows if r["method"] == method), key=lambda r: r["fraction"])
        best = next((r for i, r in enumerate(mine) if all(m["reaches_target"] for m in mine[i:])), None)
        budget[method] = {"fraction": best["fraction"] if best else None,
                          "wall_time_s": best["wall_time_s"] if best else None,
                          "final_val_bleu": best["final_val_bleu"] if best else None,
                          "fractions_tried": [m["fraction"] for m in mine]}
    signature = next((r.get("sacrebleu_signature") for r in runs), None)
    return {"target_bleu": target, "target_undefined": undefined, "tolerance_bleu": tol, "rows": rows,
            "budget_to_target": budget, "sacrebleu_signature": signature}


def _fmt(value: Any, spec: str = ".2f", none: str = "n/a") -> str:
    return none if value is None else format(value, spec)


def per_seed(value: Any) -> str:
    """A budget recorded per seed (``{"0": 780, "1": 777}``, keys str in JSON or int) or, in older results, once
    for every seed."""
    if not isinstance(value, dict):
        return "?" if value is None else str(value)
    distinct = sorted(set(value.values()))
    if len(distinct) == 1:
        return str(distinct[0])
    by_seed = sorted(value.items(), key=lambda kv: int(kv[0]))  # seeds as numbers: 2 before 10
    return f"{distinct[0]}-{distinct[-1]} (by seed: {', '.join(f'{k}: {v}' for k, v in by_seed)})"


def target_text(summary: dict[str, Any]) -> str:
    """The target in words, for the tables: its value, or why it is not defined."""
    said = f"uniform's final validation BLEU (greedy) minus {summary['tolerance_bleu']:g}"
    if summary.get("target_undefined"):
        return f"{said} is not defined ({summary['target_undefined']}): no time or budget to target is reported"
    return f"{said} = {summary['target_bleu']:.2f}"


def markdown_table(results: dict[str, Any]) -> str:
    """Budget to target, then one row per (fraction, method)."""
    s = summarize(results)
    hw = results.get("hardware", {})
    cfg = results["config"]
    lines = [
        f"Corpus {results.get('corpus', '?')}: {results.get('train_pairs', '?')} training pairs, BPE "
        f"{results.get('vocab_size', '?')} ids; uniform budget {per_seed(results.get('full_steps'))} Boss steps "
        f"({cfg.get('epochs')} epochs of {per_seed(results.get('steps_per_epoch'))} batches of <= {cfg.get('max_tokens')} "
        f"tokens). Target: {target_text(s)}. Test BLEU: beam {cfg.get('beam_size')}, sacreBLEU {s['sacrebleu_signature']}. "
        f"Hardware: {hw.get('cpu', '?')}, {hw.get('torch_threads', '?')} torch thread(s), "
        f"device {hw.get('device', '?')}, commit {hw.get('git_commit', '?')}.",
        "",
    ]
    if len({r["fraction"] for r in s["rows"]}) > 1:
        lines += ["| method | budget to target (fraction of uniform's steps) | wall time there (s) | val BLEU there |",
                  "|---|---|---|---|"]
        for method, b in s["budget_to_target"].items():
            frac = _fmt(b["fraction"], ".2f", "no target" if s["target_undefined"] else
                        "not reached at " + "/".join(f"{f:g}" for f in b["fractions_tried"]))
            lines.append(f"| {method} | {frac} | {_fmt(b['wall_time_s'], '.1f')} | {_fmt(b['final_val_bleu'])} |")
        lines.append("")
    header = ("fraction", "method", "seeds", "val BLEU (greedy)", "test BLEU (beam)", "train wall s", "Boss steps",
              "sentences back-prop.", "target tokens", "passes scanned (incl. look-ahead)", "keep rate", "Assistant acc.",
              "time to target s (first)", "(stays)", "steps to target", "Boss wait s", "Boss step ms",
              "selector CPU s", "largest train loss")
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    untimed = "no target" if s["target_undefined"] else "not reached"
    for r in s["rows"]:
        spiked = f" ({r['spiked_runs']} SPIKED)" if r["spiked_runs"] else ""
        lines.append("| " + " | ".join([
            f"{r['fraction']:g}", r["method"], str(r["seeds"]), _fmt(r["final_val_bleu"]), _fmt(r["test_bleu"]),
            _fmt(r["wall_time_s"], ".1f"), _fmt(r["boss_steps"], ".0f"), _fmt(r["backprop_instances"], ".0f"),
            _fmt(r["target_tokens"], ".0f"), _fmt(r["passes"], ".2f"), _fmt(r["keep_rate"]),
            _fmt(r["assistant_accuracy"]), _fmt(r["time_to_target_s"], ".1f", untimed),
            _fmt(r["time_to_stay_s"], ".1f", untimed), _fmt(r["steps_to_target"], ".0f", untimed),
            _fmt(r["boss_wait_s"]), _fmt(r["boss_step_median_ms"], ".0f"), _fmt(r["selector_cpu_s"], ".1f"),
            _fmt(r["max_train_loss"]) + spiked]) + " |")
    return "\n".join(lines) + "\n"


def windowed(curve: dict[str, list[Any]], key: str) -> tuple[list[float], list[float]]:
    """``key`` against Boss steps; for ``keep_rate``, the keep rate between consecutive evaluations."""
    if key == "keep_rate":
        from autoassist.bench.report import windowed_keep_rate

        return windowed_keep_rate(curve)
    pts = [(float(x), float(y)) for x, y in zip(curve["step"], curve[key]) if y is not None]
    return [p[0] for p in pts], [p[1] for p in pts]


def plot_results(out_dir: str | Path) -> list[Path]:
    """Write ``table.md``, ``curves.png`` (full runs) and, with several fractions, ``budget_sweep.png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    results = load_results(out)
    s = summarize(results)
    written = [out / "table.md"]
    written[0].write_text(markdown_table(results))
    methods = list(dict.fromkeys(r["method"] for r in results["runs"]))
    colors = method_colors(methods)
    full = [r for r in results["runs"] if float(r["fraction"]) == 1.0]
    if full:
        fig, axes = plt.subplots(2, 2, figsize=(12, 9))
        panels = [("wall_time_s", "training wall time (s)", "val_bleu", "validation BLEU (greedy)"),
                  ("step", "Boss steps", "val_bleu", "validation BLEU (greedy)"),
                  ("step", "Boss steps", "keep_rate", "keep rate (between evaluations)"),
                  ("step", "Boss steps", "assistant_accuracy", "Assistant accuracy (running average)")]
        for ax, (xkey, xlabel, ykey, ylabel) in zip(axes.flat, panels):
            seen: set[str] = set()
            for r in full:
                c = r["curves"]
                xs, ys = (c[xkey], c[ykey]) if ykey == "val_bleu" else windowed(c, ykey)
                if not xs:
                    continue
                ax.plot(xs, ys, color=colors[r["method"]], marker=".", lw=1.2, alpha=0.85,
                        label=None if r["method"] in seen else r["method"])
                seen.add(r["method"])
            if ykey == "val_bleu" and s["target_bleu"] is not None:
                ax.axhline(s["target_bleu"], color="k", ls="--", lw=0.8, label="target")
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.grid(alpha=0.3)
        axes.flat[0].legend(fontsize=8)
        fig.suptitle(f"translation: {results.get('corpus', '?')}, full runs")
        fig.tight_layout()
        path = out / "curves.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    if len({r["fraction"] for r in s["rows"]}) > 1:
        points = {m: sorted((r["fraction"], r["final_val_bleu"]) for r in s["rows"] if r["method"] == m)
                  for m in methods}
        written.append(save_budget_sweep(out / "budget_sweep.png", points, colors, s["target_bleu"],
                                         "fraction of uniform's Boss steps (schedule compressed)",
                                         "final validation BLEU (greedy, median)"))
    return written
