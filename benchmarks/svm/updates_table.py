"""The README's table of updates to stay below 1e-2 (passes' worth, /n; median over seeds, min-max) for the methods it
compares, read from the ``table.md`` (and ``results.json``) of ``bench svm`` output folders, then each set's median
passes to stay below 1e-2 for the headline methods.

    python benchmarks/svm/updates_table.py benchmarks/svm        (its folders heart_scale, a9a, w8a, text)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

SETS = ("heart_scale", "a9a", "w8a", "text")
COLUMNS = ("uniform-avg", "uniform-avg-p15", "uniform-avg-linear", "uniform-sg-avg", "shrinking-avg", "shrinking-avg-p15",
           "shrinking-avg-linear", "shrinking-s2-avg", "oracle-sv-avg", "uniform", "sklearn-sgd", "sklearn-sgd-avg")
HEADLINE = ("uniform-avg", "uniform-avg-p15", "uniform-sg-avg", "shrinking-avg", "shrinking-avg-p15", "shrinking-s2-avg")


def rows(folder: Path) -> dict[str, tuple[str, str]]:
    """Per method of the 1e-2 table in ``table.md``: (updates to stay below, /n; passes to stay below)."""
    found: dict[str, tuple[str, str]] = {}
    for line in (folder / "table.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) > 8 and cells[1] in COLUMNS and cells[1] not in found and re.match(r"^[0-9n]", cells[3]):
            found[cells[1]] = (cells[3], cells[7])
    return found


def main(base: str) -> None:
    print("| data (n, f) | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    passes = {}
    for name in SETS:
        folder = Path(base) / name
        results = json.loads((folder / "results.json").read_text())
        found = rows(folder)
        cells = [f"**{found[c][0]}**" if c == "shrinking-avg" else found.get(c, ("–", "–"))[0] for c in COLUMNS]
        print(f"| {name} ({results['config']['n_train']}, {results['runs'][0]['sv_fraction']:.3f}) | "
              + " | ".join(cells) + " |")
        passes[name] = {c: found.get(c, ("–", "–"))[1] for c in HEADLINE}
    for name, p in passes.items():
        print(f"{name} passes to stay below 1e-2: " + ", ".join(f"{c} {v}" for c, v in p.items()))


if __name__ == "__main__":
    main(sys.argv[1])
