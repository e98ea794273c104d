#!/usr/bin/env bash
# Every command behind benchmarks/svm/*: run from the repository root, one benchmark process at a time.
#   PYTHON=.venv/bin/python bash benchmarks/svm/run.sh        (about 25 minutes on a quiet 2-core CPU)
# `python -m autoassist.bench.svm ARGS` is `autoassist bench svm ARGS`.
set -euo pipefail
PY="${PYTHON:-python}"
D="${DATA:-../shared/data/libsvm}"
BENCH="$PY -m autoassist.bench.svm"

# the synthetic text-like set (30,000 train / 10,000 test, 60,000 features, ~90 nonzeros/row, seed 20190):
# generated, not committed (90 MB); runs/ is git-ignored
$PY -m autoassist.bench.svm_data runs/svm-text-data

$BENCH --data $D/heart_scale --n-features 13 --test-fraction 0.2 --passes 1000 --variants --seeds 0 1 2 --out benchmarks/svm/heart_scale
$BENCH --data $D/a9a.gz --test $D/a9a.t.gz --n-features 123 --passes 400 --variants --seeds 0 1 2 --out benchmarks/svm/a9a
$BENCH --data runs/svm-text-data/text_train.svm --test runs/svm-text-data/text_test.svm --n-features 60000 \
       --passes 200 --variants --seeds 0 1 2 --out benchmarks/svm/text
$BENCH --data $D/w8a.gz --n-features 300 --test-fraction 0.2 --passes 400 --variants --seeds 0 1 2 --out benchmarks/svm/w8a

# seconds side by side: uniform-avg (averaging power 7, the default), uniform-avg-p15 (power 15, uniform SGD's best in
# averaging_sweep.txt), shrinking-avg, uniform-sg-avg and shrinking-avg-p15 train from scratch for the passes each needs to
# stay below 1e-2 (the medians of the runs above, read from their results.json), one pass of each in turn, so all see the
# same machine load; every method's seconds as a ratio to both uniform ones
SBS=benchmarks/svm/seconds_side_by_side.txt
INTER="$PY -m autoassist.bench.svm_interleave --methods uniform-avg uniform-avg-p15 shrinking-avg uniform-sg-avg shrinking-avg-p15 --against uniform-avg uniform-avg-p15 --seeds 0 1 2"
{
  echo "## heart_scale"; $INTER --data $D/heart_scale --n-features 13 --test-fraction 0.2 --passes-from benchmarks/svm/heart_scale
  echo "## a9a"; $INTER --data $D/a9a.gz --test $D/a9a.t.gz --n-features 123 --passes-from benchmarks/svm/a9a
  echo "## w8a"; $INTER --data $D/w8a.gz --n-features 300 --test-fraction 0.2 --passes-from benchmarks/svm/w8a
  echo "## text"; $INTER --data runs/svm-text-data/text_train.svm --test runs/svm-text-data/text_test.svm --n-features 60000 \
    --passes-from benchmarks/svm/text
} > $SBS
