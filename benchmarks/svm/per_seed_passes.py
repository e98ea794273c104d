"""Each seed's pass from which the objective stays within a relative suboptimality of the optimum, read from
``bench svm`` output folders (results.json: the curves and the LIBLINEAR optimum), for every method there.

    python benchmarks/svm/per_seed_passes.py [--tol 1e-2] OUT_FOLDER [OUT_FOLDER ...]

'never': not within at the end of the run (counted as infinite in the quartiles; at 1e-2 the median is the
``pass_to_stay_1e-2`` that ``bench svm`` reports).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from autoassist.bench.svm import stay


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tol", type=float, default=1e-2)
    parser.add_argument("folders", nargs="+")
    args = parser.parse_args()
    for folder in args.folders:
        results = json.loads((Path(folder) / "results.json").read_text())
        run, seeds = results["runs"][0], results["config"]["seeds"]
        for name, method in run["methods"].items():
            passes = [None if (p := stay(c, run["optimum"], args.tol, "pass")) is None else int(p)
                      for c in method["curves"]]
            done = sorted(p for p in passes if p is not None)
            shown = ", ".join("never" if p is None else str(p) for p in passes)
            never = len(passes) - len(done)
            q25, median, q75 = np.percentile([np.inf if p is None else p for p in passes], [25, 50, 75])
            print(f"{folder} {name}, seeds {seeds[0]}-{seeds[-1]}: [{shown}]; quartiles {q25:g} / {median:g} / {q75:g}; "
                  f"sorted {done}{f' + never x{never}' if never else ''}")


if __name__ == "__main__":
    main()
