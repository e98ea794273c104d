#!/usr/bin/env bash
# Every command behind benchmarks/svm/*: run from the repository root, one benchmark process at a time.
#   PYTHON=.venv/bin/python bash benchmarks/svm/run.sh        (about 45 minutes on a quiet 2-core CPU)
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

# the goal's methods over 25 seeds (the medians the goal table and the side-by-side seconds use; seeds.sh)
PYTHON="$PY" DATA="$D" bash benchmarks/svm/seeds.sh

# seconds side by side (side_by_side_block.sh says what it runs)
PYTHON="$PY" DATA="$D" bash benchmarks/svm/side_by_side_block.sh > benchmarks/svm/seconds_side_by_side.txt
