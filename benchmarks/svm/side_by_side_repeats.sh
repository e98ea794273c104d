#!/usr/bin/env bash
# run.sh's side-by-side block (side_by_side_block.sh) REPEATS times in a row (default 5) into seconds_side_by_side_repeats.txt, then the
# median over repeats of each ratio (side_by_side_summary.py): one run's 3-seed medians moved by up to 0.09 between
# two runs a minute apart (w8a, 2026-11-28), so one run is not enough to place a ratio against a 0.7x line.
#   PYTHON=.venv/bin/python bash benchmarks/svm/side_by_side_repeats.sh
set -euo pipefail
PY="${PYTHON:-python}"
D="${DATA:-../shared/data/libsvm}"
OUT=benchmarks/svm/seconds_side_by_side_repeats.txt
: > $OUT
for r in $(seq 1 "${REPEATS:-5}"); do
  { echo "# repeat $r, $(date -u)"; PYTHON="$PY" DATA="$D" bash benchmarks/svm/side_by_side_block.sh; } >> $OUT
done
$PY benchmarks/svm/side_by_side_summary.py $OUT | tee benchmarks/svm/side_by_side_summary.txt
