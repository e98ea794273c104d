"""How far the last iterate strays: per method of a ``bench svm`` output folder, the relative suboptimality of the
last iterate at the end of passes FIRST..LAST, over every seed: median, 90th and 99th percentiles and the maximum.
The averaged iterate (what ``-avg`` methods report) integrates these excursions, so a method whose last iterate
spikes now and then has averaged curves with an upper tail over seeds.

    python benchmarks/svm/last_iterate_spread.py OUT_FOLDER [FIRST LAST]        (default passes 30-60)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def main() -> None:
    folder = Path(sys.argv[1])
    first, last = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) > 3 else (30, 60)
    run = json.loads((folder / "results.json").read_text())["runs"][0]
    optimum = run["optimum"]
    print(f"{folder}: last iterate's relative suboptimality at the end of passes {first}-{last}, all seeds")
    for name, method in run["methods"].items():
        values = np.concatenate([(np.asarray(c["objective_last_iterate"][first:last + 1]) - optimum) / abs(optimum)
                                 for c in method["curves"] if "objective_last_iterate" in c])
        if values.size:
            q50, q90, q99 = np.percentile(values, [50, 90, 99])
            print(f"{name}: median {q50:.3f}, 90th {q90:.3f}, 99th {q99:.3f}, max {values.max():.3f} "
                  f"({values.size} pass ends)")


if __name__ == "__main__":
    main()
