#!/usr/bin/env bash
# The side-by-side block, to stdout: uniform-avg (averaging power 7, the default), uniform-avg-p15 (power 15, uniform
# SGD's best in averaging_sweep.txt), shrinking-avg, uniform-sg-avg and shrinking-avg-p15 train from scratch for the
# passes each needs to stay below 1e-2 (the medians over 25 seeds of seeds.sh's bench svm runs, read from their
# results.json), one pass of each in turn, so all see the same machine load; every method's seconds as a ratio to both
# uniform ones.
# Used by run.sh (once) and side_by_side_repeats.sh (several times).
set -euo pipefail
PY="${PYTHON:-python}"
D="${DATA:-../shared/data/libsvm}"
INTER="$PY -m autoassist.bench.svm_interleave --methods uniform-avg uniform-avg-p15 shrinking-avg uniform-sg-avg shrinking-avg-p15 --against uniform-avg uniform-avg-p15 --seeds 0 1 2"
echo "## heart_scale"; $INTER --data $D/heart_scale --n-features 13 --test-fraction 0.2 --passes-from benchmarks/svm/seeds/heart_scale
echo "## a9a"; $INTER --data $D/a9a.gz --test $D/a9a.t.gz --n-features 123 --passes-from benchmarks/svm/seeds/a9a
echo "## w8a"; $INTER --data $D/w8a.gz --n-features 300 --test-fraction 0.2 --passes-from benchmarks/svm/seeds/w8a
echo "## text"; $INTER --data runs/svm-text-data/text_train.svm --test runs/svm-text-data/text_test.svm --n-features 60000 \
  --passes-from benchmarks/svm/seeds/text
