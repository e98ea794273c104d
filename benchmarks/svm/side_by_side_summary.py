"""Median over repeated side-by-side runs of each ratio that ``svm_interleave`` prints.

    python benchmarks/svm/side_by_side_summary.py benchmarks/svm/seconds_side_by_side_repeats.txt

Reads the ``## <set>`` sections and the ``this: A / B seconds, median over seeds R (lo-hi)`` lines of every
repeat and prints, per set and ratio, the median of the repeats' medians, their range and the per-repeat values.
"""

from __future__ import annotations

import re
import statistics
import sys
from collections import defaultdict

LINE = re.compile(r"^(\S+): (\S+) / (\S+) seconds, median over seeds ([0-9.]+)")


def main(path: str) -> int:
    ratios: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    section = "?"
    with open(path) as lines:
        for line in lines:
            if line.startswith("## "):
                section = line[3:].strip()
            elif match := LINE.match(line):
                _, a, b, value = match.groups()
                ratios[(section, a, b)].append(float(value))
    for (section, a, b), values in ratios.items():
        print(f"{section}: {a} / {b}: median over {len(values)} repeats {statistics.median(values):.3f} "
              f"({min(values):.3f}-{max(values):.3f}); " + " ".join(f"{v:.3f}" for v in values))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
