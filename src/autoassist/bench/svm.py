"""``autoassist bench svm``: uniform SGD vs importance sampling vs instance shrinking vs scikit-learn.

Every method minimises ``lambda/2 ||w||^2 + 1/n sum_i hinge(y_i w.x_i)`` (intercept as a
regularised constant feature, as in LIBLINEAR). The optimum comes from LIBLINEAR (``LinearSVC``,
dual coordinate descent, tol 1e-10, C = 1/(lambda n)). Writes ``results.json`` (curves per method and
seed, times to 1e-2/1e-3 relative suboptimality, config, hardware), then ``table.md`` and PNG plots
(see ``svm_plots``), which read only the JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import SGDClassifier
from sklearn.svm import LinearSVC
from tqdm import tqdm

from autoassist.bench.hardware import hardware_info
from autoassist.linear import ShrinkingSVC, primal_objective

TARGETS = (1e-2, 1e-3)
METHODS: dict[str, dict[str, Any]] = {
    "uniform": dict(sampling="uniform", shrinking="off"),
    "is-loss": dict(sampling="loss", shrinking="off"),
    "is-gradnorm": dict(sampling="gradnorm", shrinking="off"),
    "shrinking": dict(shrinking="stale-unbiased"),
    "shrinking-paper": dict(shrinking="paper"),
}
VARIANTS: dict[str, dict[str, Any]] = {
    "stale-biased": dict(shrinking="stale"),
    "stale-unbiased-p0.1": dict(shrinking="stale-unbiased", shrink_prob=0.1),
    "stale-unbiased-p0.5": dict(shrinking="stale-unbiased", shrink_prob=0.5),
    "paper-clock-updates": dict(shrinking="paper", clock="updates"),
    "paper-sphere": dict(shrinking="paper", projection="sphere"),
    "stale-biased-clock-updates": dict(shrinking="stale", clock="updates"),
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="autoassist bench svm", description=__doc__.splitlines()[0])
    configure(p)
    return p


def configure(p: argparse.ArgumentParser) -> None:
    """Arguments of ``autoassist bench svm``."""
    p.add_argument("--data", required=True, help="LIBSVM/svmlight file (.gz allowed)")
    p.add_argument("--test", help="test file; without it, --test-fraction of --data is held out")
    p.add_argument("--test-fraction", type=float, default=0.2)
    p.add_argument("--n-features", type=int, default=None)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--passes", type=int, default=100)
    p.add_argument("--lambda", dest="lambdas", type=float, nargs="+", default=None,
                   help="regularisation strengths (default 1/n); the first is the one plotted")
    p.add_argument("--variants", action="store_true", help="also run the shrinking variant study")
    p.add_argument("--out", required=True)


def _load(path: str, n_features: int | None) -> tuple[sp.csr_matrix, np.ndarray]:
    X, y = load_svmlight_file(path, n_features=n_features)
    X = sp.csr_matrix(X)
    X.indices, X.indptr = X.indices.astype(np.int32), X.indptr.astype(np.int32)
    return X, y


def _optimum(X: sp.csr_matrix, y: np.ndarray, lam: float) -> tuple[float, float]:
    start = time.perf_counter()
    svc = LinearSVC(C=1.0 / (lam * X.shape[0]), loss="hinge", dual=True, tol=1e-10, max_iter=1_000_000).fit(X, y)
    w = np.r_[svc.coef_[0], svc.intercept_[0]]
    margins = np.where(y == svc.classes_[1], 1.0, -1.0) * (X @ svc.coef_[0] + svc.intercept_[0])
    return primal_objective(w, margins, lam), time.perf_counter() - start


def _ours(params: dict[str, Any], X: Any, y: Any, Xt: Any, yt: Any, lam: float, passes: int, seed: int) -> dict[str, list]:
    clf = ShrinkingSVC(alpha=lam, max_iter=passes, random_state=seed, **params).fit(X, y, eval_set=(Xt, yt))
    keys = ("visited", "updates", "margins", "seconds", "objective", "test_accuracy")
    return {k: [h[k] for h in clf.history_] for k in keys}


def _sklearn(X: Any, y: Any, Xt: Any, yt: Any, lam: float, passes: int, seed: int) -> dict[str, list]:
    clf = SGDClassifier(loss="hinge", alpha=lam, learning_rate="optimal", random_state=seed)
    yy, n = np.where(y == np.unique(y)[1], 1.0, -1.0), X.shape[0]
    out: dict[str, list] = {k: [] for k in ("visited", "updates", "margins", "seconds", "objective", "test_accuracy")}
    seconds = 0.0
    for k in range(passes):
        start = time.perf_counter()
        clf.partial_fit(X, y, classes=np.unique(y))
        seconds += time.perf_counter() - start
        w = np.r_[clf.coef_[0], clf.intercept_[0]]
        for key, value in (("visited", n * (k + 1)), ("updates", n * (k + 1)), ("margins", n * (k + 1)), ("seconds", seconds),
                           ("objective", primal_objective(w, yy * (X @ clf.coef_[0] + clf.intercept_[0]), lam)),
                           ("test_accuracy", float(clf.score(Xt, yt)))):
            out[key].append(value)
    return out


def reach(curve: dict[str, list], optimum: float, target: float, key: str) -> float | None:
    """``curve[key]`` at the first recorded pass whose relative suboptimality is <= target."""
    for value, objective in zip(curve[key], curve["objective"]):
        if (objective - optimum) / optimum <= target:
            return float(value)
    return None


def _median(values: list[float | None]) -> float | None:
    """Median over seeds, a seed that never reached the target counting as infinite."""
    med = float(np.median([np.inf if v is None else v for v in values]))
    return None if not np.isfinite(med) else med


def compact(value: Any) -> Any:
    """Round floats to 7 significant digits so the committed JSON stays small."""
    if isinstance(value, float):
        return float(f"{value:.7g}")
    if isinstance(value, dict):
        return {k: compact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [compact(v) for v in value]
    return value


def main(argv: list[str] | None = None) -> int:
    return run(_parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    X, y = _load(args.data, args.n_features)
    if args.test:
        Xt, yt = _load(args.test, X.shape[1])
    else:
        order = np.random.default_rng(0).permutation(X.shape[0])
        cut = int(round(X.shape[0] * (1 - args.test_fraction)))
        X, y, Xt, yt = X[order[:cut]], y[order[:cut]], X[order[cut:]], y[order[cut:]]
    n = X.shape[0]
    methods = dict(METHODS, **(VARIANTS if args.variants else {}))
    lambdas = args.lambdas or [1.0 / n]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for params in methods.values():  # warm-up: numba compilation is not timed
        ShrinkingSVC(alpha=lambdas[0], max_iter=1, random_state=0, **params).fit(X[:50], y[:50])
    results: dict[str, Any] = {
        "config": {"argv": sys.argv[1:], "data": args.data, "test": args.test, "n_train": n, "n_test": Xt.shape[0],
                   "n_features": X.shape[1], "nnz_per_row": X.nnz / n, "seeds": args.seeds, "passes": args.passes,
                   "targets": list(TARGETS), "methods": methods},
        "hardware": hardware_info(), "runs": [],
    }
    for lam in lambdas:
        optimum, optimum_seconds = _optimum(X, y, lam)
        entry: dict[str, Any] = {"lambda": lam, "optimum": optimum, "optimum_seconds": optimum_seconds, "methods": {}}
        jobs = [(name, params) for name, params in methods.items()] + [("sklearn-sgd", None)]
        for name, params in tqdm(jobs, desc=f"lambda={lam:.3g}"):
            curves = [(_sklearn(X, y, Xt, yt, lam, args.passes, s) if params is None
                       else _ours(params, X, y, Xt, yt, lam, args.passes, s)) for s in args.seeds]
            summary: dict[str, Any] = {"params": params, "curves": curves}
            for target in TARGETS:
                for key in ("updates", "margins", "seconds", "visited"):
                    summary[f"{key}_to_{target:.0e}".replace("e-0", "e-")] = _median(
                        [reach(c, optimum, target, key) for c in curves])
            summary["seconds_per_pass"] = float(np.median([c["seconds"][-1] / args.passes for c in curves]))
            summary["final_rel_subopt"] = float(np.median([(c["objective"][-1] - optimum) / optimum for c in curves]))
            summary["final_test_accuracy"] = float(np.median([c["test_accuracy"][-1] for c in curves]))
            entry["methods"][name] = summary
        results["runs"].append(entry)
    (out / "results.json").write_text(json.dumps(compact(results), separators=(",", ":")))
    from autoassist.bench.svm_plots import plot_svm

    plot_svm(out)
    print((out / "table.md").read_text())
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
