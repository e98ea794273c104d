"""Validation-BLEU noise with and without ``--eval-ema``: per run, the final and test BLEU, the mean absolute
change between consecutive evaluations over the second half of the run, and how many of those steps went down.

    python benchmarks/translation/ema-check/summary.py OFF_DIR EMA_DIR ...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def main(folders: list[str]) -> int:
    for folder in folders:
        results = json.loads((Path(folder) / "results.json").read_text())
        ema = results["config"].get("eval_ema", 0.0)
        for run in results["runs"]:
            bleu = np.array(run["curves"]["val_bleu"])
            half = bleu[len(bleu) // 2:]
            steps = np.diff(half)
            print(f"{Path(folder).name} (eval_ema {ema:g}) {run['method']} seed {run['seed']}: final val BLEU "
                  f"{bleu[-1]:.2f}, test {run['test_bleu']:.2f}; second half ({len(half)} evaluations): mean |change| "
                  f"{np.abs(steps).mean():.2f}, {int((steps < 0).sum())} of {len(steps)} down; curve "
                  + " ".join(f"{b:.1f}" for b in bleu))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
