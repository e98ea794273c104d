"""``autoassist bench svm``: uniform SGD vs importance sampling vs instance shrinking vs scikit-learn.

Every method minimises ``lambda/2 ||w||^2 + 1/n sum_i hinge(y_i w.x_i)`` with the intercept as a
regularised constant feature of value 1, as in LIBLINEAR; scikit-learn's ``SGDClassifier`` gets
the same objective by ``fit_intercept=False`` on X with a column of ones appended. The optimum
comes from LIBLINEAR (``LinearSVC``, dual coordinate descent, tol 1e-10, C = 1/(lambda n)), and
with it the support-vector fraction: the share of training instances with margin <= 1 there, the
least share of updates any method that only skips zero-gradient instances can get away with.

Every sampler runs with and without averaging (``-avg``: ``coef_`` is the averaged iterate).
For each relative-suboptimality target the summary holds the updates, dot products, passes,
visits and seconds at the *first* pass below it (``updates_to_1e-2``) and from which it *stays*
below it to the end of the run (``updates_to_stay_1e-2``), medians over seeds (a seed that never
got there counts as infinite) with the per-seed values, and ratios of the updates and seconds to
stay below to those of the method's baseline (uniform with the same averaging) and to the
support-vector limit. Writes ``results.json`` (curves, summaries, config, package version, git
commit, hardware) after every run (one method, one seed, one lambda), atomically, so Ctrl-C keeps the
finished runs and ``--resume`` runs only the others; at the end ``table.md`` and PNG plots
(``svm_plots``), which read only the JSON. ``--out`` may hold no ``results.json`` or an earlier
``bench svm``'s (replaced, and said so, unless ``--resume`` keeps it); any other file is refused.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import load_svmlight_files
from sklearn.linear_model import SGDClassifier
from sklearn.svm import LinearSVC
from tqdm import tqdm

import autoassist
from autoassist._errors import ParameterError, check_float, check_int, fail
from autoassist.bench.hardware import hardware_info
from autoassist.bench.harness import (check_planned_once, check_seeds, check_writable, interrupted,
                                     report_results)
from autoassist.bench.report import KINDS, earlier_sessions, read_results, results_kind, write_results
from autoassist.linear import ShrinkingSVC, primal_objective

TARGETS = (1e-2, 1e-3)
KEYS = ("pass", "visited", "updates", "margins", "seconds")
SAMPLERS: dict[str, dict[str, Any]] = {
    "uniform": dict(sampling="uniform", shrinking="off"),
    "is-loss": dict(sampling="loss", shrinking="off"),
    "is-gradnorm": dict(sampling="gradnorm", shrinking="off"),
    "uniform-sg": dict(sampling="uniform", shrinking="off", stale_gradients=True),
    "shrinking": dict(shrinking="drift"),
    "shrinking-paper": dict(shrinking="paper"),
}
METHODS: dict[str, dict[str, Any]] = {
    **SAMPLERS, **{f"{name}-avg": dict(params, average=True) for name, params in SAMPLERS.items()},
}
VARIANTS: dict[str, dict[str, Any]] = {
    "shrinking-unbiased-avg": dict(shrinking="drift", average=True, stale_correction="unbiased"),  # the default before
    "shrinking-nosg": dict(shrinking="drift", stale_gradients=False),  # the default before stale gradients
    "shrinking-nosg-avg": dict(shrinking="drift", stale_gradients=False, average=True),
    "shrinking-stale": dict(shrinking="stale-unbiased"),  # the default before drift shrinking
    "shrinking-stale-avg": dict(shrinking="stale-unbiased", average=True),
    "shrinking-k2-avg": dict(shrinking="drift", shrink_drift_scale=2.0, average=True),
    "shrinking-k3-avg": dict(shrinking="drift", shrink_drift_scale=3.0, average=True),
    "shrinking-s1-avg": dict(shrinking="drift", shrink_prob=1.0, average=True),  # drift's scale 1 and 2 (default 1.5)
    "shrinking-s2-avg": dict(shrinking="drift", shrink_prob=2.0, average=True),
    "shrinking-m05-avg": dict(shrinking="drift", shrink_prob_min=0.05, average=True),  # the floor before 0.1
    "shrinking-far3-avg": dict(shrinking="stale-unbiased", shrink_far_margin=3.0, shrink_prob_min=0.1, average=True),
    "oracle-sv": dict(shrinking="stale-unbiased", shrink_prob=1.0, shrink_prob_min=0.0, oracle_sv=True),
    "oracle-sv-avg": dict(shrinking="stale-unbiased", shrink_prob=1.0, shrink_prob_min=0.0, oracle_sv=True, average=True),
    "uniform-avg-uniform": dict(sampling="uniform", shrinking="off", average=True, average_weighting="uniform"),
    # the averaging's power (default 7): 1, the default before, and 15, uniform SGD's best in averaging_sweep.txt
    "uniform-avg-linear": dict(sampling="uniform", shrinking="off", average=True, average_weighting="linear"),
    "shrinking-avg-linear": dict(shrinking="drift", average=True, average_weighting="linear"),
    "uniform-avg-p15": dict(sampling="uniform", shrinking="off", average=True, average_weighting=15.0),
    "shrinking-avg-p15": dict(shrinking="drift", average=True, average_weighting=15.0),
}
SV_TOLERANCE = 1e-6  # margin <= 1 + this counts as a support vector at the LIBLINEAR optimum
MAX_SEED = 2**32 - 1  # scikit-learn's random_state range (SGDClassifier refuses a larger seed)
DIGITS = 7  # significant digits results.json keeps (compact)
# what a resumed benchmark must share with the runs it keeps: the data, the split and what one run is
RESUME_SAME = ("data", "test", "test_fraction", "seeds", "passes", "targets", "sv_tolerance")
RESUME_SAME_DATA = ("n_train", "n_test", "n_features")  # known once the files are read


class _OracleSV(ShrinkingSVC):
    """Study tool for the physical limit, not a method: the support vectors of the LIBLINEAR optimum
    are computed at every visit (weight 1); every other instance is never computed, its visits
    apply only the regulariser's shrink (as shrinking's skipped visits do). Biased away from the
    optimum; set ``oracle_mask`` (True: support vector) before ``fit``."""

    oracle_mask: np.ndarray

    def _reset_instances(self, n: int) -> None:
        super()._reset_instances(n)
        self._stale[:] = np.where(self.oracle_mask, -np.inf, np.inf)


# ------------------------------------------------------------------ the command line
def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``bench svm``'s arguments to ``parser`` (the caller chooses the help formatter)."""
    parser.add_argument("--data", required=True, help="LIBSVM/svmlight training file (.gz allowed)")
    parser.add_argument("--test", help="test file; without it, --test-fraction of --data is held out")
    parser.add_argument("--test-fraction", type=float, default=0.2, help="share of --data held out when --test is absent")
    parser.add_argument("--n-features", type=int, default=None, help="number of features (default: read from the files)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="one run per seed and method")
    parser.add_argument("--passes", type=int, default=100, help="passes over the training data per run")
    parser.add_argument("--lambda", dest="lambdas", type=float, nargs="+", default=None,
                        help="regularisation strengths (default 1/n); each is run in turn, with its own section of "
                             "table.md and its own plot, svm_lambdaLAMBDA.png")
    parser.add_argument("--methods", nargs="+", default=None,
                        help=f"methods to run (default: all of {', '.join(METHODS)}, sklearn-sgd, sklearn-sgd-avg)")
    parser.add_argument("--variants", action="store_true", help="also run the shrinking variant study: "
                        + ", ".join(VARIANTS))
    parser.add_argument("--out", required=True, help="folder for results.json, table.md and the plots; a results.json "
                        "there must be an earlier bench svm's, which is replaced (or kept with --resume)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the runs in --out/results.json and run only the missing ones (same data, split, "
                             "seeds and passes; more methods and lambdas may be added)")


def run(args: argparse.Namespace) -> int:
    """Run the benchmark described by ``args`` (as ``configure`` defines them); return the exit status."""
    _check_options(args)
    methods = _methods(args)   # unknown names refused here, before the files are read
    out = Path(args.out)
    path = out / "results.json"
    kept = check_out(path, args, methods)   # the one read of results.json: refused, kept (--resume) or replaced
    X, y, Xt, yt = _split(args)
    n = X.shape[0]
    lambdas = args.lambdas or [1.0 / n]
    config = {"task": "svm", "argv": command_line(args), "data": args.data, "test": args.test,
              "test_fraction": None if args.test else args.test_fraction, "n_train": n, "n_test": Xt.shape[0],
              "n_features": X.shape[1], "nnz_per_row": X.nnz / n, "seeds": args.seeds, "passes": args.passes,
              "targets": list(TARGETS), "methods": methods, "sv_tolerance": SV_TOLERANCE}
    if kept is not None:
        _check_same(path, kept["config"], config, RESUME_SAME_DATA)
        config["methods"] = {**kept["config"]["methods"], **methods}
    check_writable(out)   # once the files have loaded and every check has passed
    hardware = hardware_info()
    results: dict[str, Any] = compact({
        "config": config, "version": autoassist.__version__, "git_commit": hardware["git_commit"],
        "hardware": hardware, "runs": [] if kept is None else kept["runs"]})
    if kept is not None and earlier_sessions(kept, hardware):  # the kept runs were timed on another machine or commit
        results["earlier_sessions"] = earlier_sessions(kept, hardware)
    _run_all(args, methods, lambdas, (X, y, Xt, yt), results, path)
    from autoassist.bench.svm_plots import plot_svm

    report_results(out, plot_svm)
    return 0


def command_line(args: argparse.Namespace) -> list[str]:
    """``autoassist``'s arguments that run this benchmark again: every option, defaults included (``--resume``
    left out), so ``results.json`` says how it was made however it was called."""
    argv = ["bench", "svm", "--data", str(args.data)]
    argv += ["--test", str(args.test)] if args.test else ["--test-fraction", repr(args.test_fraction)]
    if args.n_features is not None:
        argv += ["--n-features", str(args.n_features)]
    argv += ["--seeds", *map(str, args.seeds), "--passes", str(args.passes)]
    if args.lambdas:
        argv += ["--lambda", *map(repr, args.lambdas)]
    if args.methods:
        argv += ["--methods", *args.methods]
    return argv + (["--variants"] if args.variants else []) + ["--out", str(args.out)]


def check_out(path: Path, args: argparse.Namespace, methods: dict[str, dict[str, Any]],
              log: Callable[[str], None] = print) -> dict[str, Any] | None:
    """Before the files are read: ``--out``'s ``results.json``, if any, is an earlier ``bench svm``'s. Returns it
    with ``--resume`` (its settings checked against this command's), else None: it is replaced, and the log says so.
    Anything else there (not JSON, another benchmark's results) is refused, resumed or not."""
    if not path.exists():
        return None
    rule = "a folder without results.json or with the results.json of an earlier `autoassist bench svm`"
    fix = "Choose another --out, or delete that file if its results are not needed."
    old = read_results(path, "--out", rule, fix)
    kind = results_kind(old)
    if kind != "svm":
        raise ParameterError(f"--out must be {rule}; got {path}, which holds results of {KINDS[kind]}. {fix}")
    if not args.resume:
        if old["runs"]:
            log(f"{path} holds the results of an earlier `autoassist bench svm` ({_count_runs(old)} finished runs): "
                "this benchmark replaces them (--resume keeps them; another --out keeps the file).")
        return None
    new = {"data": args.data, "test": args.test, "test_fraction": None if args.test else args.test_fraction,
           "seeds": args.seeds, "passes": args.passes, "targets": list(TARGETS), "sv_tolerance": SV_TOLERANCE}
    _check_same(path, old["config"], compact(new), RESUME_SAME)
    for entry in old["runs"]:
        for name, record in [*entry["methods"].items(), *entry.get("unfinished", {}).items()]:
            if name in methods and record.get("params") != compact(methods[name]):
                raise ParameterError(
                    f"--resume must keep the settings of the finished runs; got {name}'s parameters "
                    f"{record.get('params')} in {path} but {compact(methods[name])} in this version of autoassist. "
                    "Choose another --out for the new setting (or leave out --resume to replace those results).")
    return old


def _check_same(path: Path, old: dict[str, Any], new: dict[str, Any], keys: tuple[str, ...]) -> None:
    """Refuse ``--resume`` where the kept results' config differs from this command's in one of ``keys``."""
    differing = [k for k in keys if old.get(k) != new[k]]
    if differing:
        key, also = differing[0], f" (also {', '.join(differing[1:])})" if differing[1:] else ""
        raise ParameterError(f"--resume must keep the setting of the finished runs; got {key} = {old.get(key)!r} in "
                             f"{path} but {new[key]!r} in this command{also}. Resume with the same data, split, "
                             "--seeds and --passes (only --methods and --lambda may change), or choose another --out.")


def _count_runs(results: dict[str, Any]) -> int:
    """Finished runs (one method, seed and lambda each) in bench svm results."""
    return sum(len(m.get("curves", ())) for entry in results["runs"] for m in entry["methods"].values()) + sum(
        len(u.get("seeds", ())) for entry in results["runs"] for u in entry.get("unfinished", {}).values())


def _run_all(args: argparse.Namespace, methods: dict[str, dict[str, Any]], lambdas: list[float],
             data: tuple[Any, Any, Any, Any], results: dict[str, Any], path: Path) -> None:
    """Train every (lambda, method, seed) not in ``results`` yet; write ``results`` to ``path`` after each.

    A method's seeds wait under its lambda's ``unfinished`` until the last one is done, then are summarised into
    ``methods``. Every record is rounded (:func:`compact`) as it is made, so a resumed benchmark's summaries are
    those of an uninterrupted one. Ctrl-C raises :class:`Interrupted`, saying how many finished runs ``path`` holds.
    """
    X, y, Xt, yt = data
    entries = {_lambda_key(entry["lambda"]): entry for entry in results["runs"]}
    plan = [(lam, name, seed) for lam in lambdas for name in methods for seed in args.seeds
            if not _finished(entries.get(_lambda_key(lam)), name, seed)]
    on_disk = _count_runs(results) if path.exists() else 0   # finished runs in path (kept or written here)
    sv_masks: dict[str, np.ndarray] = {}
    try:
        if plan:
            _warm_up(X, y, lambdas[0], {name: methods[name] for name in dict.fromkeys(name for _, name, _ in plan)})
        for lam, name, seed in tqdm(plan, desc="bench svm", disable=not plan):
            key, params = _lambda_key(lam), methods[name]
            if key not in sv_masks:   # LIBLINEAR once per lambda (a kept lambda's recorded optimum is kept)
                optimum, sv_masks[key], optimum_seconds = _optimum(X, y, lam)
                if key not in entries:
                    entries[key] = compact({"lambda": lam, "optimum": optimum, "optimum_seconds": optimum_seconds,
                                            "sv_fraction": float(sv_masks[key].mean()), "methods": {}})
                    results["runs"].append(entries[key])
            entry = entries[key]
            unfinished = entry.setdefault("unfinished", {}).setdefault(
                name, {"params": compact(params), "seeds": [], "curves": []})
            curve = (_sklearn(X, y, Xt, yt, lam, args.passes, seed, average=bool(params["average"]))
                     if name.startswith("sklearn-sgd") else
                     _ours(params, X, y, Xt, yt, lam, args.passes, seed, sv_masks[key]))
            unfinished["seeds"].append(seed)
            unfinished["curves"].append(compact(curve))
            if len(unfinished["seeds"]) == len(args.seeds):   # the method's last seed: summarised with the others
                summary = compact(summarise(unfinished["curves"], entry["optimum"], args.passes))
                entry["methods"][name] = dict(summary, params=unfinished["params"])
                add_ratios(entry)
                del entry["unfinished"][name]
            if not entry["unfinished"]:
                del entry["unfinished"]
            write_results(path, compact(results), dense=True)
            on_disk = _count_runs(results)
    except KeyboardInterrupt:
        raise interrupted(on_disk, path) from None


def _finished(entry: dict[str, Any] | None, name: str, seed: int) -> bool:
    """Whether kept results hold ``name``'s run with ``seed`` (``entry``: its lambda's, None if not there)."""
    return entry is not None and (name in entry["methods"]
                                  or seed in entry.get("unfinished", {}).get(name, {}).get("seeds", ()))


def _lambda_key(lam: float) -> str:
    """A lambda as results.json keeps it (7 significant digits): the key under which runs are kept and resumed."""
    return f"{lam:.{DIGITS}g}"


def main(argv: list[str] | None = None) -> int:
    """``autoassist bench svm ARGS`` on its own: parse ``argv`` and ``run``."""
    parser = argparse.ArgumentParser(prog="autoassist bench svm", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    configure(parser)
    return run(parser.parse_args(argv))


def _check_options(args: argparse.Namespace) -> None:
    """One clear error before anything is read, run or written: options in range, inputs exist."""
    if not str(args.out):
        raise fail("--out", "a folder path", "''", "Give the folder for the results, e.g. --out runs/svm.")
    if not 0.0 < args.test_fraction < 1.0 and args.test is None:
        raise fail("--test-fraction", "in (0, 1)", args.test_fraction,
                   "It is the share of --data held out for testing, e.g. --test-fraction 0.2; or pass --test.")
    if args.passes < 1:
        raise fail("--passes", ">= 1", args.passes, "It is the passes over the training data per run, e.g. --passes 100.")
    check_seeds(args.seeds)
    for seed in args.seeds:
        if seed > MAX_SEED:
            raise fail("--seeds", f"at most 2**32 - 1 = {MAX_SEED} (scikit-learn's random_state range)", seed,
                       "Choose smaller seeds, e.g. --seeds 0 1 2.")
    check_planned_once({"seeds": args.seeds, "methods": args.methods or []})
    if args.n_features is not None:
        check_int("--n-features", args.n_features, minimum=1, fix="Leave it out to read it from the files.")
    for lam in args.lambdas or []:
        check_float("--lambda", lam, positive=True, fix="It is the regularisation strength, e.g. --lambda 1e-4.")
    keys = [_lambda_key(lam) for lam in args.lambdas or []]
    repeated = next((i for i, key in enumerate(keys) if key in keys[:i]), None)
    if repeated is not None:
        raise fail("--lambda", f"values without repeats, each distinct at {DIGITS} significant digits (results.json's "
                   "precision)", " ".join(map(repr, args.lambdas)), f"Give {keys[repeated]} once.")
    for flag, path in (("--data", args.data), ("--test", args.test)):
        if path is not None and not Path(path).is_file():
            raise fail(flag, "an existing LIBSVM/svmlight file", str(path),
                       "Check the path (the LIBSVM sets are in ../shared/data/libsvm/).")


def _methods(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    every = dict(METHODS, **{"sklearn-sgd": dict(average=False), "sklearn-sgd-avg": dict(average=True)}, **VARIANTS)
    chosen = args.methods or [*METHODS, "sklearn-sgd", "sklearn-sgd-avg"]
    unknown = [m for m in chosen if m not in every]
    if unknown:
        raise fail("--methods", "names from " + ", ".join(every), " ".join(unknown),
                   "Leave --methods out to run the default methods (--variants adds the variant study).")
    names = list(dict.fromkeys(chosen + (list(VARIANTS) if args.variants else [])))
    return {name: dict(every[name], average=every[name].get("average", False)) for name in names}


# ------------------------------------------------------------------ data
def _csr32(X: Any) -> sp.csr_matrix:
    X = sp.csr_matrix(X)
    X.indices, X.indptr = X.indices.astype(np.int32), X.indptr.astype(np.int32)
    return X


def _load(path: str, n_features: int | None) -> tuple[sp.csr_matrix, np.ndarray]:
    X, y = load_svmlight_files([path], n_features=n_features)
    return _csr32(X), y


def _split(args: argparse.Namespace) -> tuple[sp.csr_matrix, np.ndarray, sp.csr_matrix, np.ndarray]:
    paths = [args.data] + ([args.test] if args.test else [])
    try:
        # the files together: a test file whose largest feature index exceeds the training file's is common
        loaded = load_svmlight_files(paths, n_features=args.n_features)
    except (ValueError, OSError) as error:  # UnicodeDecodeError is a ValueError, a bad .gz an OSError
        if args.n_features is not None and "n_features was set" in str(error):
            raise fail("--n-features", "at least the largest feature index in the files", args.n_features,
                       f"({error}); leave it out to read it from the files.") from None
        raise _unreadable(args, error) from None
    X, y = _csr32(loaded[0]), loaded[1]
    _check_binary("--data", "a file of exactly two labels (binary classification)", y,
                  "Every method here is a binary SVM: give a two-class LIBSVM file.")
    if args.test:
        Xt, yt = _csr32(loaded[2]), loaded[3]
        if yt.shape[0] == 0:
            raise fail("--test", "a file with at least one instance", str(args.test), "Check the path.")
        classes, found = np.unique(y), np.unique(yt)
        foreign = np.setdiff1d(found, classes)
        if foreign.size:
            # the path in full (fail() would shorten a long one)
            raise ParameterError(f"--test must be a file labelled as --data is ({_labels(classes)}); got {args.test}, "
                                 f"labelled {_labels(found)} ({_labels(foreign)} not among --data's). Give the test "
                                 "file of --data's set, or relabel it to --data's labels.")
        return X, y, Xt, yt
    order = np.random.default_rng(0).permutation(X.shape[0])
    cut = int(round(X.shape[0] * (1 - args.test_fraction)))
    fix = f"Hold out another share of the {X.shape[0]} instances of --data, or pass --test."
    if cut == X.shape[0]:
        raise fail("--test-fraction", f"large enough to hold out one of the {X.shape[0]} instances of --data",
                   args.test_fraction, fix)
    if np.unique(y[order[:cut]]).shape[0] != 2:
        raise fail("--test-fraction", "a share that leaves both labels in the training part",
                   f"{args.test_fraction}, which leaves {_instances(y[order[:cut]])} to train on", fix)
    return X[order[:cut]], y[order[:cut]], X[order[cut:]], y[order[cut:]]


def _unreadable(args: argparse.Namespace, error: Exception) -> ParameterError:
    """The error for files the parser refused, naming the one it refused (each is read again on its own)."""
    for flag, path in (("--data", args.data), ("--test", args.test)):
        if path is not None:
            try:
                load_svmlight_files([path], n_features=args.n_features)
            except (ValueError, OSError) as own:
                return fail(flag, "a LIBSVM/svmlight file ('label index:value ...' per line)", str(path),
                            f"The parser says: {own}. Check the path and the format.")
    return fail("--data and --test", "LIBSVM/svmlight files that load together", f"{args.data} and {args.test}",
                f"The parser says: {error}.")


def _check_binary(flag: str, rule: str, y: np.ndarray, fix: str) -> None:
    """Exactly two labels to train on, refused before --out is created (not by the warm-up's fit after)."""
    if np.unique(y).shape[0] != 2:
        raise fail(flag, rule, _instances(y), fix)


def _labels(labels: np.ndarray) -> str:
    """Up to ten labels, in words."""
    return ", ".join(str(label.item()) for label in labels[:10]) + (", ..." if labels.shape[0] > 10 else "")


def _instances(y: np.ndarray) -> str:
    """``y``'s instances and labels, in words: '3 instances, 2 labels (-1.0, 1.0)'."""
    labels = np.unique(y)
    n, k = y.shape[0], labels.shape[0]
    return (f"{n} instance{'' if n == 1 else 's'}, {k} label{'' if k == 1 else 's'}"
            + (f" ({_labels(labels)})" if k else ""))


def warm_up_rows(y: np.ndarray, size: int = 50, seed: int = 0) -> np.ndarray:
    """A seeded random ``size`` rows holding both classes (LIBSVM files are often sorted by label)."""
    rows = np.random.default_rng(seed).permutation(y.shape[0])[:size]
    for label in np.unique(y):
        if not np.any(y[rows] == label):
            rows = np.r_[rows[1:], np.flatnonzero(y == label)[0]]
    return np.sort(rows)


def _warm_up(X: sp.csr_matrix, y: np.ndarray, lam: float, methods: dict[str, dict[str, Any]]) -> None:
    """Compile the numba loops of every configuration before anything is timed."""
    rows = warm_up_rows(y)
    for name, params in methods.items():
        if not name.startswith("sklearn-sgd"):
            kept = {k: v for k, v in params.items() if k != "oracle_sv"}
            ShrinkingSVC(alpha=lam, max_iter=1, random_state=0, **kept).fit(X[rows], y[rows])


# ------------------------------------------------------------------ runs
def _optimum(X: sp.csr_matrix, y: np.ndarray, lam: float) -> tuple[float, np.ndarray, float]:
    """LIBLINEAR's objective, its support vectors (margin <= 1, a mask), and the seconds it took."""
    start = time.perf_counter()
    svc = LinearSVC(C=1.0 / (lam * X.shape[0]), loss="hinge", dual=True, tol=1e-10, max_iter=1_000_000).fit(X, y)
    w = np.r_[svc.coef_[0], svc.intercept_[0]]
    margins = np.where(y == svc.classes_[1], 1.0, -1.0) * (X @ svc.coef_[0] + svc.intercept_[0])
    return primal_objective(w, margins, lam), margins <= 1.0 + SV_TOLERANCE, time.perf_counter() - start


def _ours(params: dict[str, Any], X: Any, y: Any, Xt: Any, yt: Any, lam: float, passes: int, seed: int,
          sv_mask: np.ndarray) -> dict[str, list]:
    params = dict(params)
    cls = _OracleSV if params.pop("oracle_sv", False) else ShrinkingSVC
    clf = cls(alpha=lam, max_iter=passes, random_state=seed, **params)
    if isinstance(clf, _OracleSV):
        clf.oracle_mask = sv_mask
    clf.fit(X, y, eval_set=(Xt, yt))
    keys = (*KEYS, "objective", "test_accuracy") + (("objective_last_iterate",) if params.get("average") else ())
    return {k: [h[k] for h in clf.history_] for k in keys}


def _sklearn(X: Any, y: Any, Xt: Any, yt: Any, lam: float, passes: int, seed: int, average: bool) -> dict[str, list]:
    """``SGDClassifier`` on our objective: hinge, alpha = lambda, the intercept a regularised column of ones."""
    ones = sp.csr_matrix(np.ones((X.shape[0], 1)))
    Xa, Xta = sp.hstack([X, ones], format="csr"), sp.hstack([Xt, sp.csr_matrix(np.ones((Xt.shape[0], 1)))], format="csr")
    classes = np.unique(y)
    clf = SGDClassifier(loss="hinge", alpha=lam, fit_intercept=False, learning_rate="optimal", average=average,
                        random_state=seed)
    yy, n = np.where(y == classes[1], 1.0, -1.0), X.shape[0]
    out: dict[str, list] = {k: [] for k in (*KEYS, "objective", "test_accuracy")}
    out["objective"].append(primal_objective(np.zeros(Xa.shape[1]), np.zeros(n), lam))
    out["test_accuracy"].append(None)
    for key in KEYS:
        out[key].append(0)
    seconds = 0.0
    for k in range(passes):
        start = time.perf_counter()
        clf.partial_fit(Xa, y, classes=classes)
        seconds += time.perf_counter() - start
        w = clf.coef_[0]
        for key, value in (("pass", k + 1), ("visited", n * (k + 1)), ("updates", n * (k + 1)), ("margins", n * (k + 1)),
                           ("seconds", seconds), ("objective", primal_objective(w, yy * (Xa @ w), lam)),
                           ("test_accuracy", float(clf.score(Xta, yt)))):
            out[key].append(value)
    return out


# ------------------------------------------------------------------ measures
def reach(curve: dict[str, list], optimum: float, target: float, key: str) -> float | None:
    """``curve[key]`` at the first recorded pass whose relative suboptimality is <= target."""
    for value, objective in zip(curve[key], curve["objective"]):
        if (objective - optimum) / optimum <= target:
            return float(value)
    return None


def stay(curve: dict[str, list], optimum: float, target: float, key: str) -> float | None:
    """``curve[key]`` at the first recorded pass from which every later one is <= target (to the run's end)."""
    above = [(objective - optimum) / optimum > target for objective in curve["objective"]]
    if above[-1]:
        return None
    last_above = max((k for k, a in enumerate(above) if a), default=-1)
    return float(curve[key][last_above + 1])


def _median(values: list[float | None]) -> float | None:
    """Median over seeds, a seed that never reached the target counting as infinite."""
    med = float(np.median([np.inf if v is None else v for v in values]))
    return None if not np.isfinite(med) else med


def _label(target: float) -> str:
    return f"{target:.0e}".replace("e-0", "e-")


def summarise(curves: list[dict[str, list]], optimum: float, passes: int) -> dict[str, Any]:
    """Medians over seeds of every measure (and the per-seed values under ``seeds``)."""
    summary: dict[str, Any] = {"curves": curves, "seeds": {}}
    for target in TARGETS:
        for key in (*KEYS, "passes"):
            source = "pass" if key == "passes" else key
            for measure, fn in (("to", reach), ("to_stay", stay)):
                values = [fn(c, optimum, target, source) for c in curves]
                name = f"{key}_{measure}_{_label(target)}"
                summary[name] = _median(values)
                summary["seeds"][name] = values
    summary["seconds_per_pass"] = float(np.median([c["seconds"][-1] / passes for c in curves]))
    summary["final_rel_subopt"] = float(np.median([(c["objective"][-1] - optimum) / optimum for c in curves]))
    summary["final_test_accuracy"] = float(np.median([c["test_accuracy"][-1] for c in curves]))
    if "objective_last_iterate" in curves[0]:
        summary["final_rel_subopt_last_iterate"] = float(np.median(
            [(c["objective_last_iterate"][-1] - optimum) / optimum for c in curves]))
    return summary


def baseline_of(name: str, params: dict[str, Any]) -> str:
    """Uniform SGD with the same averaging: the yardstick for a method's ratios."""
    return "uniform-avg" if params.get("average") else "uniform"


def add_ratios(entry: dict[str, Any]) -> None:
    """Per method and target: updates and seconds to stay below, as a ratio to its baseline and to the
    support-vector limit (``sv_fraction`` times the baseline's updates)."""
    methods = entry["methods"]
    for name, m in methods.items():
        base = methods.get(baseline_of(name, m["params"]))
        m["baseline"] = baseline_of(name, m["params"]) if base is not None else None
        for target in TARGETS:
            label = _label(target)
            for key in ("updates", "margins", "seconds"):
                mine, theirs = m[f"{key}_to_stay_{label}"], None if base is None else base[f"{key}_to_stay_{label}"]
                ratio = None if mine is None or not theirs else mine / theirs
                m[f"{key}_to_stay_{label}_vs_baseline"] = ratio
                if key != "seconds":
                    m[f"{key}_to_stay_{label}_vs_limit"] = None if ratio is None else ratio / entry["sv_fraction"]


def compact(value: Any) -> Any:
    """Round floats to ``DIGITS`` (7) significant digits so the committed JSON stays small."""
    if isinstance(value, float):
        return float(f"{value:.{DIGITS}g}")
    if isinstance(value, dict):
        return {k: compact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [compact(v) for v in value]
    return value


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
