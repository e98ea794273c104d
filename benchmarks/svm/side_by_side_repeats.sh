#!/usr/bin/env bash
# run.sh's side-by-side block REPEATS times in a row (default 5) into seconds_side_by_side_repeats.txt, then the
# median over repeats of each ratio (side_by_side_summary.py): one run's 3-seed medians moved by up to 0.09 between
# two runs a minute apart (w8a, 2026-11-28), so one run is not enough to place a ratio against a 0.7x line.
#   PYTHON=.venv/bin/python bash benchmarks/svm/side_by_side_repeats.sh
set -euo pipefail
PY="${PYTHON:-python}"
D="${DATA:-../shared/data/libsvm}"
OUT=benchmarks/svm/seconds_side_by_side_repeats.txt
INTER="$PY -m autoassist.bench.svm_interleave --methods uniform-avg uniform-avg-p15 shrinking-avg uniform-sg-avg shrinking-avg-p15 --against uniform-avg uniform-avg-p15 --seeds 0 1 2"
: > $OUT
for r in $(seq 1 "${REPEATS:-5}"); do
  {
    echo "# repeat $r, $(date -u)"
    echo "## heart_scale"; $INTER --data $D/heart_scale --n-features 13 --test-fraction 0.2 --passes-from benchmarks/svm/heart_scale
    echo "## a9a"; $INTER --data $D/a9a.gz --test $D/a9a.t.gz --n-features 123 --passes-from benchmarks/svm/a9a
    echo "## w8a"; $INTER --data $D/w8a.gz --n-features 300 --test-fraction 0.2 --passes-from benchmarks/svm/w8a
    echo "## text"; $INTER --data runs/svm-text-data/text_train.svm --test runs/svm-text-data/text_test.svm --n-features 60000 \
      --passes-from benchmarks/svm/text
  } >> $OUT
done
$PY benchmarks/svm/side_by_side_summary.py $OUT | tee benchmarks/svm/side_by_side_summary.txt
