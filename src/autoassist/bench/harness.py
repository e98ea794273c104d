"""The loop every benchmark shares: plan the runs, train each one not yet finished, write after each.

``autoassist bench image``, ``bench translate`` and ``demo`` differ in what one run is (a Boss, its
data and its recipe) and in what they summarise; they share the rest, here:

* :func:`check_resume`: before anything is read or written, each run is planned once and ``--out``'s
  ``results.json``, if any, is an autoassist benchmark's that this command may keep or replace; it is read
  there, once, and with ``resume`` returned to be kept;
* :func:`plan_runs`: every (protocol, fraction, seed, method) in a fixed order;
* :func:`run_planned`: the kept runs (:func:`check_resume`'s) are skipped;
  each remaining run is trained (a progress bar while it runs), appended, the results finalised and
  written atomically, and one line logged; Ctrl-C raises :class:`Interrupted`, which says where the
  finished runs are;
* :func:`mark_target`: each run's target and time to reach it, for a benchmark's ``finalize``;
* :func:`report_results`: the plots and ``table.md`` from ``results.json``, the table printed.

A benchmark supplies a :class:`Benchmark`: how to name, size, train and describe one planned run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Protocol

import torch

from autoassist._errors import ParameterError, check_int, fail
from autoassist.bench.curves import time_to_stay, time_to_target
from autoassist.bench.hardware import hardware_info
from autoassist.bench.methods import meaning_or_spelling
from autoassist.bench.report import (KINDS, MERGE_MAY_DIFFER, RUN_LISTS, RunKey, earlier_sessions, finished_key,
                                     read_results, respelled_method, results_kind, setting_difference,
                                     unite_run_lists, write_results)

Progress = Callable[[int, int], None]  # (Boss steps done, steps planned)


@dataclass(frozen=True)
class PlannedRun:
    """One run of a benchmark: a method spec and seed, at a fraction of uniform's budget, in a protocol."""

    spec: str
    seed: int
    fraction: float = 1.0
    protocol: str = "budget"

    @property
    def key(self) -> RunKey:
        return (self.protocol, self.spec, self.seed, float(self.fraction))


# the command-line flag of each list of a config that plans runs (a run key is planned once: no repeats)
RUN_LIST_FLAGS = {"methods": "--methods", "seeds": "--seeds", "fractions": "--fractions", "protocols": "--protocols"}


def check_seeds(seeds: Iterable[Any]) -> None:
    """``--seeds`` are non-negative integers (each run's generators derive from its seed)."""
    for seed in seeds:
        check_int("--seeds", seed, minimum=0, fix="Seeds are non-negative integers, e.g. --seeds 0 1 2.")


def check_planned_once(lists: Mapping[str, Iterable[Any]]) -> None:
    """Refuse a repeated value in a config's lists of methods, seeds, fractions or protocols, by its flag: each
    run is trained once (a repeated seed would train the same run twice and count it as two seeds)."""
    for key, flag in RUN_LIST_FLAGS.items():
        values = list(lists.get(key, ()))
        meanings = [meaning_or_spelling(v) if key == "methods" else v for v in values]  # methods: what they say
        repeated = next((i for i, v in enumerate(meanings) if v in meanings[:i]), None)
        if repeated is not None:
            first = values[meanings.index(meanings[repeated])]
            same = "" if values[repeated] == first else f" ({values[repeated]} is {first} written another way)"
            raise fail(flag, "values without repeats (each run is planned once)", " ".join(map(str, values)),
                       f"Give {first} once{same}.")


def plan_runs(methods: Iterable[str], seeds: Iterable[int], fractions: Iterable[float],
              protocols: Iterable[str] = ("budget",),
              skip: Callable[[str, str], bool] | None = None) -> list[PlannedRun]:
    """Every run in order: protocol, then fraction (budget protocol only; passes runs are whole), seed, method.

    ``skip(protocol, spec)`` leaves a method out of a protocol. The lists hold no repeats: :func:`check_resume`
    refused them (:func:`check_planned_once`) before any data was read.
    """
    methods, seeds, fractions, protocols = tuple(methods), tuple(seeds), tuple(fractions), tuple(protocols)
    return [PlannedRun(spec, seed, fraction, protocol)
            for protocol in protocols
            for fraction in (fractions if protocol == "budget" else (1.0,))
            for seed in seeds
            for spec in methods
            if skip is None or not skip(protocol, spec)]


class Benchmark(Protocol):
    """What one benchmark gives :func:`run_planned`."""

    def label(self, run: PlannedRun) -> str:
        """The run in a few words, for the progress bar and the log."""
        ...

    def total_steps(self, run: PlannedRun) -> int | None:
        """The run's Boss steps if known in advance (the progress bar's total)."""
        ...

    def train(self, run: PlannedRun, results: dict[str, Any], progress: Progress) -> dict[str, Any]:
        """Train the run and return its record; ``results`` holds the runs finished before it."""
        ...

    def outcome(self, record: dict[str, Any]) -> str:
        """The finished run's result in one line."""
        ...


def prepare(out_dir: Path, threads: int) -> None:
    """Before loading data: use ``threads`` torch threads (0: leave torch's choice) and create ``out_dir``
    (:func:`check_writable`)."""
    if threads > 0:
        torch.set_num_threads(threads)
    check_writable(out_dir)


def check_writable(out: Path, option: str = "--out") -> None:
    """Fail before any run if ``out`` cannot be created or written (one clear line, not a traceback later)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".autoassist-write-check"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        # the path in full (fail() would shorten a long one)
        raise ParameterError(f"{option} must be a folder this user can create and write; got {out} "
                             f"({error.strerror or error}). Choose another {option}.") from None


def describe_hardware(device: str) -> dict[str, Any]:
    """:func:`hardware_info` with the torch threads in use and the Boss's device, for results.json."""
    hardware = hardware_info()
    hardware["torch_threads"] = torch.get_num_threads()
    hardware["device"] = device
    return hardware


OUT_RULE = "a folder without results.json or with one an autoassist benchmark wrote"


def _read_out(path: Path) -> dict[str, Any]:
    """The results in ``--out``'s ``path``, or one clear ``--out`` error naming the file and what is wrong."""
    return read_results(path, "--out", OUT_RULE, "Move that file away (this command would replace it) or choose "
                        "another --out.")


def check_resume(path: Path, config: dict[str, Any], *, resume: bool,
                 log: Callable[[str], None] = print) -> dict[str, Any] | None:
    """Before any data is read or anything written: ``config`` plans each run once, and the ``results.json`` at
    ``path``, if there is one, is one this command may keep (``resume``) or replace. Returns the results to keep
    (:func:`run_planned`'s ``kept``): the file's, read here once, with ``resume``; None without a file or ``resume``.

    A file that is not an autoassist benchmark's results (not JSON, another structure) is refused either way. A
    resumed benchmark continues results of its own kind (image or translation; never bench svm's) and may add
    seeds, methods and fractions (``MERGE_MAY_DIFFER``), never another learning rate, batch bound or model: its
    results would hold runs of two settings under one config. Without ``resume`` an existing file's runs are
    replaced, and the log says how many.
    """
    check_planned_once(config)
    if not path.exists():
        return None
    old = _read_out(path)
    kind, this = results_kind(old), config.get("task", "image")
    if resume and kind != this:
        raise ParameterError(f"--resume must continue results of this benchmark ({KINDS[this]}); got {path}, which "
                             f"holds results of {KINDS[kind]}. Choose another --out (or leave out --resume to "
                             "replace them).")
    difference = (setting_difference((str(path), old["config"]), ("this command", config))
                  or respelled_method((str(path), old["config"]), ("this command", config))) if resume else None
    if difference:
        raise ParameterError(f"--resume must keep the setting of the finished runs; got {difference}. Resume with "
                             "the same options (only " + ", ".join(MERGE_MAY_DIFFER) + " may change), or choose "
                             "another --out for the new setting.")
    if not resume and old["runs"]:
        what = (f"the results of {KINDS['svm']} (regularisation strengths: {len(old['runs'])})" if kind == "svm"
                else f"{len(old['runs'])} finished runs")
        log(f"{path} holds {what}: this benchmark replaces them (--resume keeps runs of this benchmark; another "
            "--out keeps the file).")
    return old if resume else None


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`run_planned`; its message says where the finished runs are and how to go on
    (``autoassist`` prints it as its one line)."""


def run_planned(bench: Benchmark, plan: list[PlannedRun], results: dict[str, Any], path: Path,
                finalize: Callable[[dict[str, Any]], None], *, kept: dict[str, Any] | None = None,
                log: Callable[[str], None] = print, refresh_s: float = 1.0) -> dict[str, Any]:
    """Train every run of ``plan`` not finished yet; write ``results`` to ``path`` after each run and at the end.

    ``kept``, the results of ``path`` that ``--resume`` keeps (:func:`check_resume` returns them), gives its runs,
    whose keys are skipped. ``finalize`` adds the summary (from the runs alone) before every write, so an
    interrupted benchmark's file is complete. Ctrl-C raises :class:`Interrupted`, which says how many finished runs
    ``path`` holds.
    """
    from tqdm.auto import tqdm

    on_disk = 0   # the finished runs in path that this command keeps or wrote (0: it has written nothing there)
    if kept is not None:
        results["runs"] = kept["runs"]
        on_disk = len(kept["runs"])
        sessions = earlier_sessions(kept, results.get("hardware", {}))
        if sessions:  # the kept runs were timed on another machine or commit: say which
            results["earlier_sessions"] = sessions
        if "config" in results:   # the config names the kept runs too, first, as they came first
            config = {**results["config"], **{k: v for k, v in kept["config"].items() if k in RUN_LISTS}}
            unite_run_lists(config, results["config"])
            results["config"] = config
    done = {finished_key(r) for r in results["runs"]}
    todo = [run for run in plan if run.key not in done]
    try:
        for i, run in enumerate(todo, 1):
            desc = f"[{i}/{len(todo)}] {bench.label(run)}"
            with tqdm(total=bench.total_steps(run), desc=desc, leave=False, mininterval=refresh_s,
                      disable=None) as bar:
                def progress(step: int, total: int) -> None:
                    bar.update(step - bar.n)

                record = bench.train(run, results, progress)
            results["runs"].append(record)
            finalize(results)
            write_results(path, results)
            on_disk = len(results["runs"])
            log(f"{desc}: {bench.outcome(record)}")
        finalize(results)
        write_results(path, results)
    except KeyboardInterrupt:
        raise interrupted(on_disk, path) from None
    return results


def interrupted(on_disk: int, path: Path) -> Interrupted:
    """What Ctrl-C says when ``path`` holds ``on_disk`` finished runs this command keeps or wrote (0: none)."""
    if not on_disk:
        return Interrupted(f"interrupted before the first run finished; this command wrote nothing to {path}")
    return Interrupted(f"interrupted; the finished runs ({on_disk}) are in {path}: rerun the same command with "
                       "--resume")


def mark_target(runs: list[dict[str, Any]], target: float | None, *, name: str, metric: str,
                stay: bool = False) -> None:
    """Store ``target`` as ``run[name]`` and the first time each run's ``metric`` reaches it (with ``stay``,
    also the time from which it stays there)."""
    for run in runs:
        run[name] = target
        run["time_to_target_s"] = None if target is None else time_to_target(run["curves"], target, metric=metric)
        if stay:
            run["time_to_stay_s"] = None if target is None else time_to_stay(run["curves"], target, metric=metric)


def report_results(out: Path, plot_results: Callable[[Path], list[Path]]) -> None:
    """Write a benchmark's plots and ``table.md`` from ``out/results.json`` alone; print the table it wrote."""
    plot_results(out)
    print((out / "table.md").read_text())
    print(f"Wrote {out / 'results.json'}, {out / 'table.md'} and the PNGs in {out}.")


def check_device(device: str) -> None:
    """Refuse a device string torch does not parse, or a CUDA device this machine does not have."""
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError):
        raise fail("--device", "cpu, cuda or cuda:N", device) from None
    if parsed.type == "cpu":
        return
    if parsed.type != "cuda":
        raise fail("--device", "cpu, cuda or cuda:N", device, "Other accelerators are not supported by this benchmark.")
    if not torch.cuda.is_available():
        raise fail("--device", "cpu on this machine (torch sees no CUDA GPU)", device)
    if parsed.index is not None and parsed.index >= torch.cuda.device_count():
        raise fail("--device", f"cuda:0 to cuda:{torch.cuda.device_count() - 1}", device)
