"""Training seconds of ``ShrinkingSVC`` methods measured side by side, one pass of each in turn.

On a shared machine the seconds of two runs made minutes apart differ by up to 2x (another process
takes the second core, or the cache); interleaving the runs pass by pass exposes every method to the
same conditions, so the *ratio* of their seconds is what this reports. Each method trains from
scratch for the passes given (e.g. the passes it needs to stay below 1e-2, from ``bench svm``), seeds
in turn; the seconds are each estimator's own training clock (``history_[-1]["seconds"]``: the
passes, evaluation excluded). ``--also-from PACKAGE`` runs every method a second time with the
``ShrinkingSVC`` of another importable package (e.g. a copy of another checkout's ``autoassist``
renamed so both import in one process), to compare two versions of the code under the same conditions.

    python -m autoassist.bench.svm_interleave --data ../shared/data/libsvm/w8a.gz --n-features 300 \\
        --methods uniform-avg shrinking-avg --passes 127 155
"""

from __future__ import annotations

import argparse
import importlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from autoassist.bench.svm import METHODS, VARIANTS, _split
from autoassist.linear import ShrinkingSVC


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autoassist.bench.svm_interleave", description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--test", default=None)
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--n-features", type=int, default=None)
    parser.add_argument("--methods", nargs="+", required=True, help="names from bench svm's methods and variants")
    counts = parser.add_mutually_exclusive_group(required=True)
    counts.add_argument("--passes", type=int, nargs="+", help="passes per method, in order")
    counts.add_argument("--passes-from", default=None,
                        help="a bench svm output folder: each method's median passes to stay below 1e-2 there")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--against", nargs="+", default=None,
                        help="methods (of --methods) to give every other method's seconds as a ratio to "
                             "(default: the first)")
    parser.add_argument("--also-from", default=None, help="another package providing linear.ShrinkingSVC")
    args = parser.parse_args(argv)
    every = {**METHODS, **VARIANTS}
    if args.passes_from is not None:
        args.passes = passes_to_stay(Path(args.passes_from), args.methods, parser)
        print(f"passes from {args.passes_from}: " + ", ".join(f"{m} {n}" for m, n in zip(args.methods, args.passes)))
    unknown = [m for m in args.methods if m not in every or "oracle_sv" in every[m]]
    if unknown:
        parser.error(f"--methods must be names of bench svm's methods and variants but the oracle ("
                     f"{', '.join(m for m in every if 'oracle_sv' not in every[m])}); got {' '.join(unknown)}. "
                     "Pick names from that list.")
    if len(args.passes) != len(args.methods):
        parser.error(f"--passes must be one count per method of --methods ({len(args.methods)}); got "
                     f"{' '.join(map(str, args.passes))}. Give one count per method, in the order of --methods.")
    against = args.against or args.methods[:1]
    if any(m not in args.methods for m in against):
        parser.error(f"--against {' '.join(against)}: each must be one of --methods ({' '.join(args.methods)})")
    X, y, _, _ = _split(args)
    lam = 1.0 / X.shape[0]
    versions: dict[str, Any] = {"this": ShrinkingSVC}
    if args.also_from:
        versions[args.also_from] = importlib.import_module(f"{args.also_from}.linear").ShrinkingSVC
    runs = [(version, name, passes) for version in versions for name, passes in zip(args.methods, args.passes)]
    for version, name, _ in runs:  # compile before timing
        versions[version](alpha=lam, max_iter=2, random_state=0, **every[name]).fit(X[:300], y[:300])
    seconds: dict[tuple[str, str], list[float]] = {(v, m): [] for v, m, _ in runs}
    for seed in args.seeds:
        fits = [(versions[v](alpha=lam, max_iter=1, random_state=seed, **every[m]), v, m, passes) for v, m, passes in runs]
        for clf, *_ in fits:
            clf.partial_fit(X, y, classes=np.unique(y))  # the first pass (the fixed lambda is alpha)
        for k in range(1, max(passes for *_, passes in fits)):
            for clf, _, _, passes in fits[k % len(fits):] + fits[:k % len(fits)]:  # rotate who goes first
                if k < passes:
                    clf.partial_fit(X, y)
        for clf, v, m, _ in fits:
            seconds[(v, m)].append(float(clf.history_[-1]["seconds"]))
        print(f"seed {seed}: " + ", ".join(f"{v}/{m} {seconds[(v, m)][-1]:.3f} s" for v, m, _ in runs), flush=True)
    for version in versions:
        for first in against:
            for name in (m for m in args.methods if m != first):
                ratios = np.array(seconds[(version, name)]) / np.array(seconds[(version, first)])
                print(f"{version}: {name} / {first} seconds, median over seeds {np.median(ratios):.3f} "
                      f"({ratios.min():.3f}-{ratios.max():.3f})")
    return 0


def passes_to_stay(folder: Path, methods: list[str], parser: argparse.ArgumentParser) -> list[int]:
    """Each method's median passes to stay below 1e-2 in ``folder/results.json`` (bench svm's output)."""
    try:
        recorded = json.loads((folder / "results.json").read_text())["runs"][0]["methods"]
    except (OSError, ValueError, KeyError, IndexError) as error:
        parser.error(f"--passes-from {folder}: no bench svm results.json there ({error})")
    out = []
    for name in methods:
        passes = recorded.get(name, {}).get("passes_to_stay_1e-2")
        if passes is None:
            parser.error(f"--passes-from {folder}: {name} has no passes to stay below 1e-2 there "
                         "(not run, or it never stayed below); give --passes instead")
        out.append(int(round(passes)))
    return out


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
