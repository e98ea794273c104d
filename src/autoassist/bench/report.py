"""Summaries, tables and plots of an image benchmark, made from its ``results.json`` alone.

Also what every command that reads a ``results.json`` shares: :func:`read_results` refuses a file autoassist did
not write (not JSON, not its structure) with one clear line, :func:`results_kind` says which benchmark wrote it,
and :func:`combine_results` merges the parts of one benchmark in memory.
"""

from __future__ import annotations

import json
import os
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Sequence

from autoassist._errors import ParameterError
from autoassist.bench.curves import time_to_stay, time_to_target

RunKey = tuple[str, str, int, float]  # (protocol, method spec, seed, fraction)

# which command writes results of each kind (a config's "task"; image results record none, nor did svm results
# before 2026-11-29)
KINDS = {"image": "`autoassist bench image` or `demo`", "translation": "`autoassist bench translate` or "
         "`demo --task translation`", "svm": "`autoassist bench svm`"}


class _NotResults(Exception):
    """What makes a JSON value something other than the results.json of an autoassist benchmark."""


def results_kind(results: Any) -> str:
    """Which benchmark wrote ``results`` (a key of ``KINDS``: image, translation or svm), from its structure; raise
    :class:`_NotResults` saying what is wrong if no autoassist benchmark wrote it (never for results
    :func:`read_results` returned, which asked this first)."""
    if not isinstance(results, dict):
        names = {list: "an array", str: "a string", bool: "true or false", int: "a number", float: "a number"}
        raise _NotResults(f"which holds {names.get(type(results), 'null')}, not an object")
    config, runs = results.get("config"), results.get("runs")
    if not isinstance(config, dict):
        raise _NotResults('which has no "config" object')
    if not isinstance(runs, list):
        raise _NotResults('which has no "runs" list')
    task = config.get("task")
    # bench svm results (bench/svm.py) recorded no task before 2026-11-29: their runs are one entry per lambda
    if task == "svm" or task is None and ("sv_tolerance" in config
                                          or any(isinstance(r, dict) and "lambda" in r for r in runs)):
        for i, run in enumerate(runs):
            if not (isinstance(run, dict) and "lambda" in run and isinstance(run.get("methods"), dict)):
                raise _NotResults(f'whose runs[{i}] is not a bench svm entry (a "lambda" and its "methods")')
        return "svm"
    if task is None and "dataset" not in config:
        raise _NotResults('whose config names neither a "task" nor a "dataset"')
    if task is not None and task not in KINDS:
        raise _NotResults(f"whose config names the task {task!r}, which autoassist does not write")
    for i, run in enumerate(runs):
        if not (isinstance(run, dict) and isinstance(run.get("method"), str) and _is_int(run.get("seed"))
                and isinstance(run.get("protocol", ""), str) and _is_number(run.get("fraction", 1.0))):
            raise _NotResults(f"whose runs[{i}] is not a finished run (it needs a method name and an integer seed, "
                              "and a number as fraction and a name as protocol if it records them)")
    return "image" if task is None else str(task)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def read_results(path: Path, name: str, rule: str, fix: str) -> dict[str, Any]:
    """The results in ``path``, or one error naming ``name``, the ``rule``, the file and what is wrong with it
    (not readable, not JSON, not the structure an autoassist benchmark writes), then the ``fix``."""
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
        results_kind(results)
        return results
    except UnicodeDecodeError:
        problem = "which is not UTF-8 text"
    except OSError as error:
        problem = f"which cannot be read ({error.strerror or error})"
    except json.JSONDecodeError as error:
        problem = f"which is not JSON ({error.msg} at line {error.lineno}, column {error.colno})"
    except _NotResults as error:
        problem = str(error)
    raise ParameterError(f"{name} must be {rule}; got {path}, {problem}. {fix}")


def load_results(out_dir: str | Path, name: str = "DIR") -> dict[str, Any]:
    """``out_dir/results.json`` of any benchmark (:func:`results_kind` says which), or a clear error naming ``name``."""
    path = Path(out_dir) / "results.json"
    rule = "a folder holding results.json written by `autoassist bench image`, `bench translate`, `bench svm` or `demo`"
    fix = "Pass the --out folder of a finished or interrupted benchmark."
    if not path.is_file():
        raise ParameterError(f"{name} must be {rule}; got {out_dir}, which holds no results.json. {fix}")
    return read_results(path, name, rule, fix)


def write_results(path: Path, payload: dict[str, Any], *, dense: bool = False) -> None:
    """Write ``results.json`` atomically (a reader never sees half a file; an interrupted write keeps the old);
    ``dense``: without indentation or spaces."""
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, separators=(",", ":")) if dense else json.dumps(payload, indent=1))
    os.replace(tmp, path)


def finished_key(record: dict[str, Any]) -> RunKey:
    """The key of a finished run's record (a translation record has no protocol: it is a budget run)."""
    return (str(record.get("protocol", "budget")), record["method"], int(record["seed"]),
            float(record.get("fraction", 1.0)))


def describe_key(key: RunKey) -> str:
    """A run key in words, for messages."""
    protocol, method, seed, fraction = key
    return f"{method} seed {seed}" + (f" at fraction {fraction:g}" if protocol == "budget" else f" ({protocol})")


# what may differ between the parts of one merged benchmark: which runs each part made, how often and how fast it
# evaluated, and where it read and cached its files; every other setting decides what a run trains and must agree
MERGE_MAY_DIFFER = ("fractions", "protocols", "methods", "seeds", "eval_points", "decode_batch_size", "threads",
                    "data_dir", "bpe_dir", "synchronous")


def setting_difference(first: tuple[str, dict[str, Any]], other: tuple[str, dict[str, Any]]) -> str | None:
    """How two benchmark configs (each with where it comes from) differ in what their runs train, or None.

    Only the keys of ``MERGE_MAY_DIFFER`` may differ; settings an older config did not record are not compared
    (they had one value then: today's default)."""
    (first_name, a), (other_name, b) = first, other
    kind_a, kind_b = a.get("task", "image"), b.get("task", "image")
    differing = ["task"] if kind_a != kind_b else sorted(
        k for k in set(a) & set(b) if k not in MERGE_MAY_DIFFER and a[k] != b[k])
    if not differing:
        return None
    key = differing[0]
    shown = (kind_a, kind_b) if key == "task" else (a[key], b[key])
    also = f" (also {', '.join(differing[1:])})" if len(differing) > 1 else ""
    return f"{key} = {shown[0]!r} in {first_name} but {shown[1]!r} in {other_name}{also}"


# what tells one session's machine and code from another's (not its load average)
SESSION_KEYS = ("git_commit", "autoassist_version", "cpu", "cpu_count", "cpu_affinity", "platform", "torch",
                "numpy", "cuda_device", "device", "torch_threads")


def earlier_sessions(kept: dict[str, Any], hardware: dict[str, Any]) -> list[dict[str, Any]]:
    """The machines and commits of the sessions whose runs ``kept`` holds, when they differ from this one's
    ``hardware`` (a resumed file's runs may have been timed elsewhere: the file says so)."""
    def same(a: dict[str, Any], b: dict[str, Any]) -> bool:  # the machine and code, not how busy it was
        return all(a.get(k) == b.get(k) for k in SESSION_KEYS)

    sessions = list(kept.get("earlier_sessions", []))
    before = kept.get("hardware")
    if before and not same(before, hardware) and not any(same(before, s) for s in sessions):
        sessions.append(before)
    return sessions


def respelled_method(first: tuple[str, dict[str, Any]], other: tuple[str, dict[str, Any]]) -> str | None:
    """A method of ``other``'s config that ``first``'s holds spelled another way (its runs would be counted as a
    second method), said as :func:`setting_difference` says a difference, or None."""
    from autoassist.bench.methods import meaning_or_spelling

    (first_name, a), (other_name, b) = first, other
    spelled = {meaning_or_spelling(spec): spec for spec in a.get("methods", [])}
    for spec in b.get("methods", []):
        kept = spelled.get(meaning_or_spelling(spec))
        if kept is not None and kept != spec:
            return f"methods: {kept!r} in {first_name} is {spec!r} in {other_name}, spelled another way"
    return None


RUN_LISTS = ("fractions", "protocols", "methods", "seeds")  # a config's lists of the runs it plans


def unite_run_lists(config: dict[str, Any], other: dict[str, Any]) -> None:
    """Extend ``config``'s lists of fractions, protocols, methods and seeds with ``other``'s (first-seen order)."""
    for key in RUN_LISTS:
        values = list(config.get(key, []))
        config[key] = values + [v for v in other.get(key, []) if v not in values]


def _corpus_difference(a: tuple[str, dict[str, Any]], b: tuple[str, dict[str, Any]]) -> str | None:
    """Whether two translation parts trained on different corpora (their fingerprints, or, for results written
    before fingerprints were kept, their corpus names), said as setting_difference says it."""
    (name_a, results_a), (name_b, results_b) = a, b
    if results_a.get("config", {}).get("task") != "translation":
        return None
    key = "corpus_sha256" if results_a.get("corpus_sha256") and results_b.get("corpus_sha256") else "corpus"
    if results_a.get(key) == results_b.get(key):
        return None
    return (f"the corpus ({key}) {results_a.get(key)!r} in {name_a} but {results_b.get(key)!r} in {name_b}"
            f" ({results_a.get('corpus')} against {results_b.get('corpus')})")


def combine_results(sources: Sequence[str | Path]) -> dict[str, Any]:
    """The runs of several folders of one benchmark (e.g. run in parallel) in one results dict, in memory.

    Every part is read and checked first: each must hold image or translation results, share every setting but
    those in ``MERGE_MAY_DIFFER``, and hold runs that no other part (nor itself) holds too. The caller finalises
    and writes the result."""
    parts = [(str(source), load_results(source)) for source in sources]
    for source, results in parts:
        if results_kind(results) == "svm":
            raise ParameterError(f"DIR must be folders of image or translation results (`autoassist bench image`, "
                                 f"`bench translate` or `demo`); got {source}, which holds results of {KINDS['svm']}. "
                                 "Merging them is not supported: each svm folder has its own table and plots "
                                 f"(`autoassist plot {source}`).")
    for i, (source, results) in enumerate(parts[1:], start=1):
        difference = setting_difference((parts[0][0], parts[0][1]["config"]), (source, results["config"])) or next(
            filter(None, (respelled_method((name, earlier["config"]), (source, results["config"]))
                          for name, earlier in parts[:i])), None)
        if not difference:
            difference = _corpus_difference((parts[0][0], parts[0][1]), (source, results))
        if difference:
            raise ParameterError(f"DIR must be folders of one benchmark setting; got {difference}. Only "
                                 + ", ".join(MERGE_MAY_DIFFER) + " may differ: merge each setting into its own folder.")
    seen: dict[RunKey, int] = {}   # the part that holds each run
    for part, (source, results) in enumerate(parts):
        for run in results["runs"]:
            key = finished_key(run)
            if key in seen:
                first = parts[seen[key]][0]
                where = (f"twice in {source}" if seen[key] == part else f"in both {first} and {source}"
                         + (" (one folder given twice)" if first == source else ""))
                raise ParameterError(f"DIR must be folders that hold each run once; got the run {describe_key(key)} "
                                     f"{where}. Merge folders of different seeds, methods or fractions (leave the "
                                     "repeated folder out, or keep one copy of the run).")
            seen[key] = part
    merged: dict[str, Any] = {}
    for source, results in parts:
        if not merged:
            # top-level facts of the first part (a translation benchmark's corpus, steps per epoch, ...)
            merged = {**{k: v for k, v in results.items() if k not in ("runs", "summary", "methods")},
                      "config": dict(results["config"]), "hardware": results.get("hardware", {}), "runs": [],
                      "merged_from": []}
        unite_run_lists(merged["config"], results["config"])
        for budget in ("steps_per_epoch", "full_steps"):  # translation budgets recorded per seed
            if isinstance(merged.get(budget), dict) and isinstance(results.get(budget), dict):
                merged[budget] = {**merged[budget], **results[budget]}
        merged["runs"].extend(results["runs"])
        merged["merged_from"].append({"dir": source, "config": results["config"]})
    return merged


def merge_results(out_dir: str | Path, sources: Sequence[str | Path]) -> Path:
    """:func:`combine_results` written to ``out_dir/results.json`` (not finalised); nothing is written if a part
    is refused."""
    merged = combine_results(sources)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.json"
    write_results(path, merged)
    return path


def _median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def _spread(values: list[float]) -> list[float] | None:
    return [min(values), max(values)] if values else None


def tolerance_target(uniform_final: float | None, tolerance: float, starts: list[float],
                     show: Callable[[float], str]) -> tuple[float | None, str | None]:
    """The target both benchmarks read times and budgets against: uniform's final score at the full budget minus
    ``tolerance`` (in the score's units); or None and why it is not defined (``show`` writes a score).

    A target no higher than a score some run had before training (``starts``, each run's curve at step 0; never
    below 0, the lowest BLEU or accuracy) would be reached at step 0, for free, by every run that had it: at tiny
    sizes uniform's final score minus the tolerance can even be negative. Such a target is not defined, rather than
    clamped (a target of 0 says no more), and the tables say so instead of reporting times to it.
    """
    if uniform_final is None:
        return None, "no uniform run at the full budget"
    target = uniform_final - tolerance
    floor = max([0.0, *starts])
    if target <= floor:
        return None, (f"uniform's final score {show(uniform_final)} minus the tolerance is {show(target)}, not above "
                      f"{show(floor)}, which a run scored before training")
    return target, None


def summarize(results: dict[str, Any]) -> dict[str, Any]:
    """Medians over seeds, the target (:func:`tolerance_target`), time to target and budget to target for every
    method."""
    runs = results.get("runs", [])
    tol = float(results["config"]["tolerance"])
    budget = [r for r in runs if r["protocol"] == "budget"]
    uniform_full = [r["final_test_accuracy"] for r in budget if r["method"] == "uniform" and r["fraction"] == 1.0]
    target, undefined = tolerance_target(_median(uniform_full), tol / 100.0,
                                         [r["curves"]["test_accuracy"][0] for r in runs if r["curves"]["test_accuracy"]],
                                         lambda value: f"{100 * value:.2f}%")
    groups: dict[tuple[str, str, float], list[dict[str, Any]]] = defaultdict(list)
    for r in runs:
        groups[(r["protocol"], r["method"], float(r.get("fraction", 1.0)))].append(r)
    rows: list[dict[str, Any]] = []
    for (protocol, method, fraction), rs in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], -kv[0][2])):
        accs = [r["final_test_accuracy"] for r in rs]
        ttt = [time_to_target(r["curves"], target) for r in rs] if target is not None else []
        reached_times = [t for t in ttt if t is not None]
        stay = [time_to_stay(r["curves"], target) for r in rs] if target is not None else []
        stayed_times = [t for t in stay if t is not None]
        # The worker's CPU time where recorded (its wall time also counts waiting for the GIL).
        share = [r["selector_stats"].get("selector_cpu_seconds", r["selector_stats"].get("selector_seconds", 0.0))
                 / max(1e-9, r["time_split_s"]["boss"]) for r in rs]
        rows.append({
            "protocol": protocol, "method": method, "fraction": fraction, "seeds": len(rs),
            "final_test_accuracy": _median(accs), "final_test_accuracy_spread": _spread(accs),
            "wall_time_s": _median([r["wall_time_s"] for r in rs]),
            "wall_time_s_spread": _spread([r["wall_time_s"] for r in rs]),
            "boss_steps": _median([r["boss_steps"] for r in rs]),
            "backprop_instances": _median([r["backprop_instances"] for r in rs]),
            "forward_instances": _median([r["forward_instances"] for r in rs]),
            "keep_rate": _median([r["selector_stats"].get("keep_rate", 1.0) for r in rs]),
            "assistant_accuracy": _median([r["selector_stats"]["assistant_accuracy"] for r in rs
                                           if "assistant_accuracy" in r["selector_stats"]]),
            "time_to_target_s": _median(reached_times) if len(reached_times) * 2 > len(rs) else None,
            "seeds_reaching_target_on_curve": len(reached_times),
            "time_to_stay_s": _median(stayed_times) if len(stayed_times) * 2 > len(rs) else None,
            "boss_wait_s": _median([r.get("boss_wait_s", 0.0) for r in rs]),
            "max_train_loss": max((r["max_train_loss"] for r in rs if r.get("max_train_loss") is not None),
                                  default=None),
            "spiked_runs": sum(1 for r in rs if r.get("spiked")),
            "boss_step_median_ms": _median([r["boss_step_median_ms"] for r in rs if r["boss_step_median_ms"]]),
            "selector_share_of_boss_time": _median(share),
            "free_scoring_s": _median([r["time_split_s"]["free_scoring"] for r in rs]),
            "reaches_target": bool(target is not None and accs and statistics.median(accs) >= target),
        })
    budget_to_target: dict[str, Any] = {}
    for method in sorted({r["method"] for r in rows if r["protocol"] == "budget"}):
        mine = sorted((r for r in rows if r["protocol"] == "budget" and r["method"] == method),
                      key=lambda r: r["fraction"])
        best = None
        for i, r in enumerate(mine):
            if all(m["reaches_target"] for m in mine[i:]):
                best = r
                break
        budget_to_target[method] = {
            "fraction": best["fraction"] if best else None,
            "wall_time_s": best["wall_time_s"] if best else None,
            "final_test_accuracy": best["final_test_accuracy"] if best else None,
            "fractions_tried": [m["fraction"] for m in mine],
        }
    uniform_ttt = next((r["time_to_target_s"] for r in rows
                        if r["protocol"] == "budget" and r["method"] == "uniform" and r["fraction"] == 1.0), None)
    for r in rows:
        r["time_to_target_vs_uniform"] = (r["time_to_target_s"] / uniform_ttt
                                          if r["time_to_target_s"] is not None and uniform_ttt else None)
    return {"target_accuracy": target, "target_undefined": undefined, "tolerance_points": tol, "rows": rows,
            "budget_to_target": budget_to_target}


def _fmt(value: Any, spec: str = ".2f", none: str = "n/a") -> str:
    return none if value is None else format(value, spec)


def markdown_table(results: dict[str, Any]) -> str:
    """The benchmark's tables in markdown: budget to target, then every (protocol, method, fraction) row."""
    s = summarize(results)
    hw = results.get("hardware", {})
    target = (f"= {100 * s['target_accuracy']:.2f}%" if s["target_undefined"] is None else
              f"is not defined ({s['target_undefined']}): no time or budget to target is reported")
    lines = [
        f"Target: uniform's median final test accuracy at the full budget minus {s['tolerance_points']} points "
        f"{target}. "
        f"Hardware: {hw.get('cpu', '?')}, {hw.get('torch_threads', '?')} torch threads, device {hw.get('device', '?')}.",
        "",
    ]
    if s["budget_to_target"]:
        lines += ["| method | budget to target (fraction of uniform's steps) | wall time there (s) | accuracy there (%) |",
                  "|---|---|---|---|"]
        for method, b in s["budget_to_target"].items():
            frac = _fmt(b["fraction"], ".2f", "no target" if s["target_undefined"] else
                        "not reached at " + "/".join(f"{f:g}" for f in b["fractions_tried"]))
            lines.append(f"| {method} | {frac} | {_fmt(b['wall_time_s'], '.1f')} | "
                         f"{_fmt(None if b['final_test_accuracy'] is None else 100 * b['final_test_accuracy'])} |")
        lines.append("")
    lines += ["| protocol | method | fraction | seeds | final acc % (median [min, max]) | wall s (median) | Boss steps | "
              "back-prop inst. | forward inst. | keep rate | Assistant acc. | time to target s (first) | "
              "time to target s (stays) | vs uniform | Boss step ms | Boss wait s | selector time / Boss time | "
              "largest train loss (spiked runs) |",
              "|" + "---|" * 18]
    untimed = "no target" if s["target_undefined"] else "n/a"
    for r in s["rows"]:
        acc = r["final_test_accuracy"]
        spread = r["final_test_accuracy_spread"]
        acc_text = f"{100 * acc:.2f} [{100 * spread[0]:.2f}, {100 * spread[1]:.2f}]" if acc is not None else "n/a"
        lines.append(
            f"| {r['protocol']} | {r['method']} | {r['fraction']:g} | {r['seeds']} | {acc_text} | "
            f"{_fmt(r['wall_time_s'], '.1f')} | {_fmt(r['boss_steps'], '.0f')} | {_fmt(r['backprop_instances'], '.0f')} | "
            f"{_fmt(r['forward_instances'], '.0f')} | {_fmt(r['keep_rate'], '.2f')} | "
            f"{_fmt(r['assistant_accuracy'], '.2f')} | {_fmt(r['time_to_target_s'], '.1f', untimed)} | "
            f"{_fmt(r['time_to_stay_s'], '.1f', untimed)} | "
            f"{_fmt(r['time_to_target_vs_uniform'], '.2f')} | {_fmt(r['boss_step_median_ms'], '.2f')} | "
            f"{_fmt(r['boss_wait_s'], '.2f')} | "
            f"{_fmt(None if r['selector_share_of_boss_time'] is None else 100 * r['selector_share_of_boss_time'], '.1f')}% | "
            f"{_fmt(r['max_train_loss'], '.2f')}{' (' + str(r['spiked_runs']) + ' SPIKED)' if r['spiked_runs'] else ''} |")
    return "\n".join(lines) + "\n"


def windowed_keep_rate(curve: dict[str, list[Any]]) -> tuple[list[float], list[float]]:
    """Keep rate between consecutive curve points, from the cumulative one.

    Candidates scanned up to a point are ``accepted / cumulative keep rate``, and accepted instances are
    the back-propagated ones, so the keep rate of an interval is d(accepted) / d(scanned).
    """
    accepted = curve["backprop_instances"]
    scanned = [a / k if k > 0 else 0.0 for a, k in zip(accepted, curve["keep_rate"])]
    xs, ys = [], []
    for i in range(1, len(accepted)):
        d_scanned = scanned[i] - scanned[i - 1]
        if d_scanned > 0:
            xs.append(float(curve["step"][i]))
            ys.append(min(1.0, (accepted[i] - accepted[i - 1]) / d_scanned))
    return xs, ys


def plot_results(out_dir: str | Path) -> list[Path]:
    """Write the PNGs and ``table.md`` for ``out_dir/results.json``; return the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    results = load_results(out)
    s = summarize(results)
    written = []
    table = out / "table.md"
    table.write_text(markdown_table(results))
    written.append(table)
    methods = sorted({r["method"] for r in results["runs"]})
    colors = method_colors(methods)
    for protocol in ("budget", "passes"):
        runs = [r for r in results["runs"] if r["protocol"] == protocol and float(r.get("fraction", 1.0)) == 1.0]
        if not runs:
            continue
        fig, axes = plt.subplots(2, 2, figsize=(12, 9))
        panels = [("wall_time_s", "training wall time (s)", "test_accuracy"),
                  ("backprop_instances", "instances back-propagated", "test_accuracy"),
                  ("step", "Boss steps", "test_accuracy"),
                  ("step", "Boss steps", "keep_rate")]
        for ax, (xkey, xlabel, ykey) in zip(axes.flat, panels):
            seen = set()
            for r in runs:
                c = r["curves"]
                label = r["method"] if r["method"] not in seen else None
                seen.add(r["method"])
                if ykey == "test_accuracy":
                    xs, ys = c[xkey], [100 * v for v in c[ykey]]
                else:
                    xs, ys = windowed_keep_rate(c)
                ax.plot(xs, ys, color=colors[r["method"]], alpha=0.8, lw=1.2, label=label)
            if ykey == "test_accuracy" and s["target_accuracy"] is not None:
                ax.axhline(100 * s["target_accuracy"], color="k", ls="--", lw=0.8, label="target")
                top = max(100 * max(r["curves"]["test_accuracy"]) for r in runs)
                ax.set_ylim(max(0.0, 100 * s["target_accuracy"] - 8), top + 0.5)
            ax.set_xlabel(xlabel)
            ax.set_ylabel("test accuracy (%)" if ykey == "test_accuracy" else "keep rate (between evaluations)")
            ax.grid(alpha=0.3)
        axes.flat[0].legend(fontsize=8)
        fig.suptitle(f"{results['config'].get('dataset')} / {results['config'].get('model')}: {protocol} protocol"
                     + (" (full budget)" if protocol == "budget" else f" ({results['config'].get('epochs')} passes)"))
        fig.tight_layout()
        path = out / f"curves_{protocol}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    sweep = [r for r in s["rows"] if r["protocol"] == "budget"]
    if len({r["fraction"] for r in sweep}) > 1:
        points = {m: sorted((r["fraction"], 100 * r["final_test_accuracy"]) for r in sweep if r["method"] == m)
                  for m in methods}
        target = None if s["target_accuracy"] is None else 100 * s["target_accuracy"]
        written.append(save_budget_sweep(out / "budget_sweep.png", points, colors, target,
                                         "fraction of uniform's Boss-step budget (schedule compressed)",
                                         "median final test accuracy (%)"))
    return written


def method_colors(methods: list[str]) -> dict[str, Any]:
    """One distinct colour per method: matplotlib's tab10, or tab20 when there are more than ten."""
    import matplotlib.pyplot as plt

    cmap, size = ("tab10", 10) if len(methods) <= 10 else ("tab20", 20)
    return {m: plt.get_cmap(cmap)(i % size) for i, m in enumerate(methods)}


def save_budget_sweep(path: Path, points: dict[str, list[tuple[float, float]]], colors: dict[str, Any],
                      target: float | None, xlabel: str, ylabel: str) -> Path:
    """The budget-sweep plot both benchmarks draw: each method's median final score against the fraction."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5))
    for method, pts in points.items():
        if pts:
            ax.plot(*zip(*pts), marker="o", color=colors[method], label=method)
    if target is not None:
        ax.axhline(target, color="k", ls="--", lw=0.8, label="target")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
